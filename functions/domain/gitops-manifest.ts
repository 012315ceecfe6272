import { Document, parseDocument } from 'yaml';
import type { Environment } from './catalog.js';
import { argoAppName, clusterFor } from './rollout-plan.js';

/** Where Argo CD reads the image of one service in one environment and region. */
export const manifestPath = (service: string, environment: Environment, region: string): string =>
  `apps/${service}/${environment}/${region}/image.yaml`;

const DIGEST_PATTERN = /^sha256:[0-9a-f]{64}$/u;

export const isImageDigest = (value: string): boolean => DIGEST_PATTERN.test(value);

/**
 * The Helm values file Flightplan owns: nothing but the image, pinned by digest. Written by the
 * YAML library, not by joining lines, so no value (a repository with a line break in it) can add
 * a key Helm would read.
 */
export function renderImageManifest(target: {
  service: string;
  environment: Environment;
  region: string;
  imageRepository: string;
  digest: string;
}): string {
  const document = new Document({ image: { repository: target.imageRepository, digest: target.digest } });
  if (document.contents)
    document.contents.commentBefore = ` Managed by Flightplan: do not edit by hand. Argo CD app ${argoAppName(target.service, target.environment, target.region)} on ${clusterFor(target.environment, target.region)}.`;
  return document.toString({ lineWidth: 0 });
}

/**
 * The digest Argo CD deploys, as Helm reads it (`image.digest`), or null when the file does not
 * pin one. The previous digest becomes what a rollback commits, so a file that is not one valid
 * YAML document (two `digest` keys, say) pins nothing rather than whichever a pattern found first.
 */
export function parseImageDigest(manifest: string): string | null {
  const document = parseDocument(manifest);
  if (document.errors.length > 0) return null;
  const digest = document.getIn(['image', 'digest']);
  return typeof digest === 'string' && isImageDigest(digest) ? digest : null;
}
