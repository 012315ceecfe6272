import type { Environment } from './catalog.js';
import { isTerminal, type Deployment } from './deployment.js';

export interface LiveRegion {
  environment: Environment;
  region: string;
  /** Null when no deployment Flightplan recorded put anything there. */
  version: string | null;
  digest: string | null;
  /** The deployment that put this digest in place, and when it finished there. */
  deploymentId: string | null;
  since: string | null;
  /** A deployment still running or queued for this environment, if any. */
  inFlight: { deploymentId: string; version: string; status: string; waveStatus: string } | null;
}

/**
 * What runs where, read from the deployment records, newest first: a wave that SUCCEEDED put its
 * digest live; a wave that was ROLLED_BACK put back the digest it found, so the region runs what
 * an older deployment left there. A wave still moving is reported beside, never as live.
 */
export function liveVersions(newestFirst: readonly Deployment[], environments: readonly Environment[]): LiveRegion[] {
  const regions = new Map<string, { environment: Environment; region: string }>();
  for (const deployment of [...newestFirst].reverse()) {
    for (const wave of deployment.waves)
      regions.set(`${deployment.environment}#${wave.region}`, {
        environment: deployment.environment,
        region: wave.region,
      });
  }
  return [...regions.values()]
    .filter((target) => environments.includes(target.environment))
    .sort((a, b) => a.environment.localeCompare(b.environment) || a.region.localeCompare(b.region))
    .map((target) =>
      liveIn(
        newestFirst.filter((deployment) => deployment.environment === target.environment),
        target,
      ),
    );
}

function liveIn(newestFirst: readonly Deployment[], target: { environment: Environment; region: string }): LiveRegion {
  const running = newestFirst.find((deployment) => !isTerminal(deployment.status));
  const runningWave = running?.waves.find((wave) => wave.region === target.region);
  const inFlight =
    running && runningWave
      ? { deploymentId: running.id, version: running.version, status: running.status, waveStatus: runningWave.status }
      : null;
  let restoredDigest: string | null | undefined;
  for (const deployment of newestFirst) {
    const wave = deployment.waves.find((candidate) => candidate.region === target.region);
    if (!wave) continue;
    if (restoredDigest !== undefined) {
      if (wave.status === 'SUCCEEDED' && wave.digestAfter === restoredDigest)
        return live(target, deployment.version, restoredDigest, deployment.id, wave.endedAt, inFlight);
      continue;
    }
    if (wave.status === 'SUCCEEDED')
      return live(target, deployment.version, wave.digestAfter, deployment.id, wave.endedAt, inFlight);
    if (wave.status === 'ROLLED_BACK') {
      if (wave.digestBefore === null) return live(target, null, null, null, null, inFlight);
      restoredDigest = wave.digestBefore;
    }
  }
  return restoredDigest
    ? live(target, null, restoredDigest, null, null, inFlight)
    : live(target, null, null, null, null, inFlight);
}

const live = (
  target: { environment: Environment; region: string },
  version: string | null,
  digest: string | null,
  deploymentId: string | null,
  since: string | null,
  inFlight: LiveRegion['inFlight'],
): LiveRegion => ({
  ...target,
  version,
  digest,
  deploymentId,
  since,
  inFlight,
});
