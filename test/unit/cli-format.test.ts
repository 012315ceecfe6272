import { describe, expect, it } from 'vitest';
import { inert, table, waveDigests, type WaveView } from '../../cli/format.js';
import { changeLines, watchFrame, type WatchedDeployment } from '../../cli/watch.js';

const wave = (
  status: string,
  before: string | null = 'sha256:aaaaaaaaaaaa1111',
  after: string | null = 'sha256:bbbbbbbbbbbb2222',
): WaveView => ({
  region: 'us-east-1',
  status,
  bakeSeconds: 1800,
  digestBefore: before,
  digestAfter: after,
  startedAt: null,
  endedAt: null,
  reason: null,
});

describe('waveDigests', () => {
  it.each([
    ['SUCCEEDED', wave('SUCCEEDED'), 'live bbbbbbbbbbbb (replaced aaaaaaaaaaaa)'],
    ['SUCCEEDED into an empty region', wave('SUCCEEDED', null), 'live bbbbbbbbbbbb'],
    ['ROLLED_BACK', wave('ROLLED_BACK'), 'live aaaaaaaaaaaa again (bbbbbbbbbbbb rolled back)'],
    ['ROLLED_BACK from an empty region', wave('ROLLED_BACK', null), 'nothing live (bbbbbbbbbbbb rolled back)'],
    ['ROLLING_BACK', wave('ROLLING_BACK'), 'restoring aaaaaaaaaaaa (removing bbbbbbbbbbbb)'],
    ['BAKING', wave('BAKING'), 'rolling out bbbbbbbbbbbb (was aaaaaaaaaaaa)'],
    ['PENDING', wave('PENDING', null, null), '-'],
  ])('says which digest is live when a wave is %s', (_case, input, expected) => {
    expect(waveDigests(input)).toBe(expected);
  });
});

describe('table', () => {
  it('aligns columns under upper-case headers and prints - for empty cells', () => {
    expect(
      table(
        ['name', 'tier'],
        [
          ['orders-api', 'T1'],
          ['web', null],
        ],
      ),
    ).toBe('NAME        TIER\norders-api  T1\nweb         -');
  });
});

const deployment = (
  events: WatchedDeployment['events'],
  status = 'IN_PROGRESS',
  waves: WaveView[] = [wave('BAKING')],
): WatchedDeployment => ({
  id: 'd1',
  service: 'orders-api',
  environment: 'prod',
  version: 'v1',
  status,
  reason: null,
  waves,
  approvals: [],
  events,
});

describe('watch', () => {
  const baking = {
    at: '2026-12-01T10:00:00.000Z',
    action: 'wave.baking',
    message: 'Baking us-east-1',
    region: 'us-east-1',
    toStatus: 'BAKING',
  };

  it('prints only what is new when piped, never the countdown', () => {
    const before = deployment([baking]);
    expect(changeLines(before, before)).toEqual([]);
    const after = deployment([
      baking,
      { at: '2026-12-01T10:30:00.000Z', action: 'wave.baked', message: 'us-east-1 baked for 30 min' },
    ]);
    expect(changeLines(before, after)).toEqual(['2026-12-01T10:30:00.000Z us-east-1 baked for 30 min']);
  });

  it('draws the bake countdown at the runtime time scale on a terminal', () => {
    const frame = watchFrame(deployment([baking]), Date.parse('2026-12-01T10:00:01.000Z'), 600);
    expect(frame[1]).toContain('bake 20m left of 30m');
  });
});

describe('text people wrote, as the terminal shows it', () => {
  it.each([
    ['an escape sequence that clears the screen', 'ok\u001b[2J', 'ok\\u001b[2J'],
    [
      'an OSC 8 link',
      '\u001b]8;;https://evil.example\u0007click\u001b]8;;\u0007',
      '\\u001b]8;;https://evil.example\\u0007click\\u001b]8;;\\u0007',
    ],
    ['a carriage return that overwrites the line', 'rejected\rAPPROVED', 'rejected\\u000dAPPROVED'],
    ['a C1 control sequence introducer', 'a\u009b2Jb', 'a\\u009b2Jb'],
    ['a right-to-left override', 'v1\u202e0.2v', 'v1\\u202e0.2v'],
    ['DEL', 'a\u007fb', 'a\\u007fb'],
    ['a right-to-left mark', 'v1\u200f.0', 'v1\\u200f.0'],
  ])('writes %s as visible escapes', (_what, text, shown) => {
    expect(inert(text)).toBe(shown);
  });

  it('keeps line feeds, tabs and any other text, and JSON output the same value', () => {
    expect(inert('two\tcolumns\nnext line: café → ✓')).toBe('two\tcolumns\nnext line: café → ✓');
    const value = { comment: 'x\u202ey\u001b' };
    expect(JSON.parse(inert(JSON.stringify(value)))).toEqual(value);
  });
});

describe('tables of text people wrote', () => {
  it('keeps a line break in a cell from starting a row of its own', () => {
    const printed = table(['by', 'comment'], [['bob', 'fine\ncarol  APPROVE']]);
    expect(printed.split('\n')).toHaveLength(2);
    expect(printed).toContain('fine\\ncarol  APPROVE');
  });
});
