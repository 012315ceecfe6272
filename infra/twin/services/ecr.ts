import {
  DescribeImages$,
  type DescribeImagesCommandInput,
  type DescribeImagesCommandOutput,
} from '@aws-sdk/client-ecr';
import { DeterministicArtifactRegistry } from '../../../functions/adapters/local/local-adapters.js';
import { AwsServiceError, operation, serveAwsJson, type AwsCallAuthorizer } from './aws-json-rpc.js';
import type { RunningService } from './http.js';

export interface EcrOptions {
  /** The registry's account when a request names none. */
  account?: string;
  authorize?: AwsCallAuthorizer;
  onError?: (error: unknown) => void;
  port?: number;
}

export interface RunningEcr extends RunningService {
  /** Makes `repository:tag` missing (CI has not pushed it yet) until `push` is called for it. */
  withhold(repositoryName: string, tag: string): void;
  push(repositoryName: string, tag: string): void;
}

/**
 * ECR's `DescribeImages` (AWS JSON 1.1). Every tag exists, with the digest
 * DeterministicArtifactRegistry gives the full image repository, unless it is withheld; so the
 * twin and `npm start` deploy the same digests.
 */
export async function startEcr(options: EcrOptions = {}): Promise<RunningEcr> {
  const defaultAccount = options.account ?? '123456789012';
  const registry = new DeterministicArtifactRegistry();
  const withheld = new Set<string>();
  const running = await serveAwsJson({
    iamPrefix: 'ecr',
    targetPrefix: 'AmazonEC2ContainerRegistry_V20150921',
    operations: {
      DescribeImages: operation<DescribeImagesCommandInput, Omit<DescribeImagesCommandOutput, '$metadata'>>({
        schema: DescribeImages$,
        resources: (input, caller) => [
          `arn:aws:ecr:${caller.region}:${input.registryId ?? defaultAccount}:repository/${input.repositoryName ?? ''}`,
        ],
        handle: async (input, caller) => {
          const account = input.registryId ?? defaultAccount;
          const repositoryName = input.repositoryName ?? '';
          const imageRepository = `${account}.dkr.ecr.${caller.region}.amazonaws.com/${repositoryName}`;
          const imageDetails = [];
          for (const imageId of input.imageIds ?? []) {
            const tag = imageId.imageTag;
            if (tag === undefined || withheld.has(`${repositoryName}:${tag}`)) {
              throw new AwsServiceError(
                'ImageNotFoundException',
                `The image with imageId {imageDigest:'${imageId.imageDigest ?? 'null'}', imageTag:'${tag ?? 'null'}'} does not exist within the repository with name '${repositoryName}' in the registry with id '${account}'`,
              );
            }
            imageDetails.push({
              registryId: account,
              repositoryName,
              imageDigest: await registry.resolveDigest(imageRepository, tag),
              imageTags: [tag],
              imagePushedAt: new Date(),
              imageManifestMediaType: 'application/vnd.oci.image.manifest.v1+json',
            });
          }
          return { imageDetails };
        },
      }),
    },
    ...(options.authorize ? { authorize: options.authorize } : {}),
    ...(options.onError ? { onError: options.onError } : {}),
    ...(options.port === undefined ? {} : { port: options.port }),
  });
  return {
    ...running,
    withhold: (repositoryName, tag) => {
      withheld.add(`${repositoryName}:${tag}`);
    },
    push: (repositoryName, tag) => {
      withheld.delete(`${repositoryName}:${tag}`);
    },
  };
}
