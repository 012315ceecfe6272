import { DescribeImagesCommand, ImageNotFoundException, type ECRClient } from '@aws-sdk/client-ecr';
import { ArtifactNotReadyError } from '../../errors.js';
import type { ArtifactRegistry } from '../../ports/index.js';

/** Resolves image tags to digests in ECR. A missing tag means CI has not pushed it yet. */
export class EcrArtifactRegistry implements ArtifactRegistry {
  constructor(private readonly client: ECRClient) {}

  async resolveDigest(repository: string, tag: string): Promise<string> {
    const repositoryName = repository.includes('/') ? repository.slice(repository.indexOf('/') + 1) : repository;
    try {
      const result = await this.client.send(
        new DescribeImagesCommand({ repositoryName, imageIds: [{ imageTag: tag }] }),
      );
      const digest = result.imageDetails?.[0]?.imageDigest;
      if (!digest) throw new ArtifactNotReadyError(`${repository}:${tag} has no digest yet`);
      return digest;
    } catch (error) {
      if (error instanceof ImageNotFoundException)
        throw new ArtifactNotReadyError(`${repository}:${tag} is not in ECR yet`, { cause: error });
      throw error;
    }
  }
}
