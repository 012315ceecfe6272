import type { Deployment } from './deployment.js';

/** A version a SUCCEEDED deployment put live, with the digest it ran in each region. */
export interface KnownGoodRelease {
  version: string;
  deploymentId: string;
  /** The digest the deployment pinned. */
  digest: string;
  /** What each region ran at the end of that deployment: a rollback deploys exactly these. */
  digests: Record<string, string>;
  endedAt: string;
}

/** What a SUCCEEDED deployment recorded, or undefined for any other deployment. */
export function knownGoodReleaseOf(deployment: Deployment): KnownGoodRelease | undefined {
  if (deployment.status !== 'SUCCEEDED' || !deployment.digest) return undefined;
  const digest = deployment.digest;
  return {
    version: deployment.version,
    deploymentId: deployment.id,
    digest,
    digests: Object.fromEntries(deployment.waves.map((wave) => [wave.region, wave.digestAfter ?? digest])),
    endedAt: deployment.endedAt ?? deployment.updatedAt,
  };
}

/** One release per version, the latest success of each, newest first. */
export function knownGoodReleases(deployments: Deployment[]): KnownGoodRelease[] {
  const latest = new Map<string, KnownGoodRelease>();
  for (const release of deployments.flatMap((deployment) => knownGoodReleaseOf(deployment) ?? [])) {
    const seen = latest.get(release.version);
    if (!seen || seen.endedAt < release.endedAt) latest.set(release.version, release);
  }
  return [...latest.values()].sort((a, b) => b.endedAt.localeCompare(a.endedAt));
}
