import type { Wave } from './api';

export const short = (digest: string | null | undefined): string =>
  digest ? digest.replace(/^sha256:/u, '').slice(0, 12) : '—';

/** Which digest a wave leaves live; as in the CLI, never "A → B" after a rollback. */
export function waveDigests(wave: Wave): string {
  switch (wave.status) {
    case 'SUCCEEDED':
      return wave.digestBefore && wave.digestBefore !== wave.digestAfter
        ? `live ${short(wave.digestAfter)} (replaced ${short(wave.digestBefore)})`
        : `live ${short(wave.digestAfter)}`;
    case 'ROLLED_BACK':
      return wave.digestBefore
        ? `live ${short(wave.digestBefore)} again (${short(wave.digestAfter)} rolled back)`
        : `nothing live (${short(wave.digestAfter)} rolled back)`;
    case 'ROLLING_BACK':
      return `restoring ${short(wave.digestBefore)}`;
    case 'DEPLOYING':
    case 'GATING':
    case 'BAKING':
      return `rolling out ${short(wave.digestAfter)} (was ${short(wave.digestBefore)})`;
    case 'FAILED':
      return `${short(wave.digestAfter)} failed`;
    default:
      return '';
  }
}

export const when = (iso: string | null | undefined): string => (iso ? new Date(iso).toLocaleString() : '—');

export function duration(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  return h ? `${h}h ${m}m` : m ? `${m}m ${s % 60}s` : `${s}s`;
}

const TERMINAL = new Set(['SUCCEEDED', 'FAILED', 'ROLLED_BACK', 'SUPERSEDED', 'REJECTED', 'ABORTED']);
export const isTerminal = (status: string): boolean => TERMINAL.has(status);
