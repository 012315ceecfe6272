/** Plain-text tables and the wording of waves: what a person reads in a terminal. */

// C0 controls but tab and line feed, DEL, the C1 controls, and the bidirectional marks,
// overrides and isolates.
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const DRIVES_THE_TERMINAL = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/gu;

/**
 * Text as a terminal should show it when people wrote it (a vote comment, a reason, a
 * description): each character that would drive the terminal (ESC sequences that clear the
 * screen, set the title or print a link; CR that overwrites a line; bidi overrides that reorder
 * it) is written as its escape, `\u` and four hex digits, which also keeps JSON output the same value.
 */
export const inert = (text: string): string =>
  text.replace(DRIVES_THE_TERMINAL, (character) => `\\u${character.charCodeAt(0).toString(16).padStart(4, '0')}`);

export function table(headers: string[], rows: (string | number | null | undefined)[][]): string {
  // A line break in a cell would start a row of its own: it shows as \n instead.
  const cells = rows.map((row) =>
    row.map((cell) => (cell === null || cell === undefined || cell === '' ? '-' : String(cell).replace(/\n/gu, '\\n'))),
  );
  const widths = headers.map((header, index) =>
    Math.max(header.length, ...cells.map((row) => (row[index] ?? '').length)),
  );
  const line = (row: string[]) =>
    row
      .map((cell, index) => (index === row.length - 1 ? cell : cell.padEnd(widths[index] ?? 0)))
      .join('  ')
      .trimEnd();
  return [line(headers.map((header) => header.toUpperCase())), ...cells.map(line)].join('\n');
}

export const shortDigest = (digest: string | null | undefined): string =>
  digest ? digest.replace(/^sha256:/u, '').slice(0, 12) : '-';

export interface WaveView {
  region: string;
  status: string;
  bakeSeconds: number;
  digestBefore: string | null;
  digestAfter: string | null;
  startedAt: string | null;
  endedAt: string | null;
  reason: string | null;
}

/**
 * What a wave means for what runs in its region. Never "A → B": after a rollback that reads as
 * if B were live. Each line says which digest is live, and what happened to the other.
 */
export function waveDigests(wave: WaveView): string {
  const before = shortDigest(wave.digestBefore);
  const after = shortDigest(wave.digestAfter);
  switch (wave.status) {
    case 'SUCCEEDED':
      return wave.digestBefore && wave.digestBefore !== wave.digestAfter
        ? `live ${after} (replaced ${before})`
        : `live ${after}`;
    case 'ROLLED_BACK':
      return wave.digestBefore ? `live ${before} again (${after} rolled back)` : `nothing live (${after} rolled back)`;
    case 'ROLLING_BACK':
      return `restoring ${before} (removing ${after})`;
    case 'DEPLOYING':
    case 'GATING':
    case 'BAKING':
      return `rolling out ${after} (was ${before})`;
    case 'FAILED':
      return `${after} failed; ${before} may need restoring`;
    default:
      return '-';
  }
}

export function duration(seconds: number): string {
  if (seconds <= 0) return '0s';
  const h = Math.floor(seconds / 3600);
  const m = Math.floor((seconds % 3600) / 60);
  const s = Math.floor(seconds % 60);
  return [h ? `${h}h` : '', m ? `${m}m` : '', s && !h ? `${s}s` : ''].join('') || '0s';
}

/** A BAKING wave's remaining time from its own clock (the wave started baking when it entered BAKING). */
export function bakeRemaining(
  wave: WaveView & { bakeStartedAt?: string | null },
  now: number,
  timeScale = 1,
): number | undefined {
  if (wave.status !== 'BAKING' || !wave.bakeStartedAt) return undefined;
  return Math.max(0, wave.bakeSeconds - ((now - Date.parse(wave.bakeStartedAt)) / 1000) * timeScale);
}

export const when = (iso: string | null | undefined): string =>
  iso ? iso.replace('T', ' ').replace(/\.\d+Z$/u, 'Z') : '-';
