import { bakeRemaining, duration, waveDigests, type WaveView } from './format.js';

export interface WatchedDeployment {
  id: string;
  service: string;
  environment: string;
  version: string;
  status: string;
  reason: string | null;
  waitingBehind?: string | null;
  waves: WaveView[];
  approvals: { id: string; status: string }[];
  events: { at: string; action: string; message: string; region?: string; toStatus?: string }[];
}

export const TERMINAL = new Set(['SUCCEEDED', 'FAILED', 'ROLLED_BACK', 'SUPERSEDED', 'REJECTED', 'ABORTED']);

const bakeStartOf = (deployment: WatchedDeployment, region: string): string | null =>
  [...deployment.events].reverse().find((event) => event.region === region && event.toStatus === 'BAKING')?.at ?? null;

/** The block a terminal redraws in place: the deployment, then one line per wave with its countdown. */
export function watchFrame(deployment: WatchedDeployment, now: number, timeScale: number): string[] {
  const approval = deployment.approvals[0];
  const header = `${deployment.service} ${deployment.version} → ${deployment.environment}  ${deployment.status}${deployment.waitingBehind ? ` (waiting behind ${deployment.waitingBehind})` : ''}${approval && approval.status === 'PENDING' ? ` (approval ${approval.id} pending)` : ''}`;
  const waves = deployment.waves.map((wave) => {
    const remaining = bakeRemaining({ ...wave, bakeStartedAt: bakeStartOf(deployment, wave.region) }, now, timeScale);
    const countdown =
      remaining === undefined ? '' : `  bake ${duration(remaining)} left of ${duration(wave.bakeSeconds)}`;
    return `  ${wave.region.padEnd(10)} ${wave.status.padEnd(12)} ${waveDigests(wave)}${countdown}${wave.reason && wave.status !== 'SUCCEEDED' ? `  (${wave.reason})` : ''}`;
  });
  const last = deployment.events.at(-1);
  return [header, ...waves, ...(last ? [`  last: ${last.message}`] : [])];
}

/**
 * What a pipe gets: one line per change, never the countdown. A change is a new audit entry (each
 * transition writes one), or the status, which a reader must see even when entries were missed.
 */
export function changeLines(previous: WatchedDeployment | undefined, current: WatchedDeployment): string[] {
  const seen = previous?.events.length ?? 0;
  const fresh = current.events
    .slice(seen)
    .map((event) => `${event.at} ${event.region ? `${event.region} ` : ''}${event.message}`);
  const statusLine =
    previous && previous.status !== current.status && fresh.length === 0
      ? [`${new Date().toISOString()} ${current.status}`]
      : [];
  const waiting =
    current.waitingBehind && current.waitingBehind !== previous?.waitingBehind
      ? [`${new Date().toISOString()} queued behind ${current.waitingBehind}`]
      : [];
  return [...fresh, ...statusLine, ...waiting];
}
