import { describe, expect, it } from 'vitest';
import { allowedP99Ms, noWorse } from '../../bench/no-worse.js';
import { missingDependencies } from '../../bench/baseline.js';

describe('the ingress benchmark verdict against a baseline', () => {
  it('allows the baseline p99 times 1.1 plus 1 ms, and nothing beyond', () => {
    expect(allowedP99Ms(0)).toBe(1);
    expect(allowedP99Ms(100)).toBeCloseTo(111);
    expect(noWorse(1, 0)).toBe(true);
    expect(noWorse(2, 0)).toBe(false);
    expect(noWorse(4, 3)).toBe(true);
    expect(noWorse(5, 3)).toBe(false);
    expect(noWorse(111, 100)).toBe(true);
    expect(noWorse(112, 100)).toBe(false);
    expect(noWorse(50, 252)).toBe(true);
  });

  it('never calls a missing measurement no worse', () => {
    expect(noWorse(Number.NaN, 10)).toBe(false);
    expect(noWorse(10, Number.NaN)).toBe(false);
  });
});

describe('a baseline revision', () => {
  it('names the packages it depends on that this checkout lacks, with their ranges', () => {
    const installed = new Set(['@octokit/core', 'zod']);
    expect(
      missingDependencies(
        { dependencies: { '@octokit/rest': '^22.0.1', zod: '^4.1.0' }, devDependencies: { vitest: '^3.2.0' } },
        (name) => installed.has(name),
      ),
    ).toEqual(['@octokit/rest@^22.0.1', 'vitest@^3.2.0']);
  });
});
