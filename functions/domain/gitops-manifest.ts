import type { Environment } from './catalog.js';
import { argoAppName, clusterFor } from './rollout-plan.js';

/** Where Argo CD reads the image of one service in one environment and region. */
export const manifestPath = (service: string, environment: Environment, region: string): string =>
  `apps/${service}/${environment}/${region}/image.yaml`;

const DIGEST_PATTERN = /^sha256:[0-9a-f]{64}$/u;

export const isImageDigest = (value: string): boolean => DIGEST_PATTERN.test(value);

/** The Helm values file Flightplan owns: nothing but the image, pinned by digest. */
export function renderImageManifest(target: {
  service: string;
  environment: Environment;
  region: string;
  imageRepository: string;
  digest: string;
}): string {
  return [
    `# Managed by Flightplan: do not edit by hand. Argo CD app ${argoAppName(target.service, target.environment, target.region)} on ${clusterFor(target.environment, target.region)}.`,
    'image:',
    `  repository: ${target.imageRepository}`,
    `  digest: ${target.digest}`,
    '',
  ].join('\n');
}

export function parseImageDigest(manifest: string): string | null {
  const match = /^\s+digest:\s*(\S+)\s*$/mu.exec(manifest);
  return match?.[1] && isImageDigest(match[1]) ? match[1] : null;
}
