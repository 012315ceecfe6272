import { readFileSync } from 'node:fs';
import semver from 'semver';
import { describe, expect, it } from 'vitest';

interface LockedPackage {
  version?: string;
  engines?: { node?: string } | string[];
}

const manifest = JSON.parse(readFileSync('package.json', 'utf8')) as { engines: { node: string } };
const lock = JSON.parse(readFileSync('package-lock.json', 'utf8')) as { packages: Record<string, LockedPackage> };

/**
 * Packages whose declared engines leave out the oldest Node we support, each with why it still
 * runs there. A package joins this list only with a reason someone checked.
 */
const RUNS_ON_OLDER_NODE: Record<string, string> = {
  'aws-local-stepfunctions':
    'the local workflow engine needs only Promise.withResolvers from Node 22, which infra/local/polyfills.ts adds',
  'content-type':
    "@octokit/request's Content-Type parser: 3.x is ESM-only and uses no Node API at all, and Node 20.19 loads it",
};

const nameOf = (path: string): string => path.slice(path.lastIndexOf('node_modules/') + 'node_modules/'.length);

/** Every installed package whose `engines.node` leaves out `version`, as `name@version (range)`. */
function packagesExcluding(version: string): Map<string, string> {
  const excluding = new Map<string, string>();
  for (const [path, locked] of Object.entries(lock.packages)) {
    const range = Array.isArray(locked.engines) ? undefined : locked.engines?.node;
    if (path === '' || range === undefined || semver.satisfies(version, range)) continue;
    excluding.set(nameOf(path), `${nameOf(path)}@${locked.version ?? '?'} (node ${range})`);
  }
  return excluding;
}

describe('dependencies', () => {
  const oldest = semver.minVersion(manifest.engines.node)?.version ?? '';

  it('all admit the oldest Node that package.json promises, so a lock refresh cannot quietly drop it', () => {
    expect(oldest).toBe('20.19.0');
    const unexplained = [...packagesExcluding(oldest)]
      .filter(([name]) => !(name in RUNS_ON_OLDER_NODE))
      .map(([, found]) => found);
    // The AWS SDK's releases from January 2027 require Node 22: taking one means raising
    // package.json's engines (and the README) to Node 22, or pinning the SDK below it.
    expect(unexplained, `these need Node newer than ${oldest}, which package.json promises`).toEqual([]);
  });

  it('explain only packages that still need the explanation', () => {
    const excluding = packagesExcluding(oldest);
    expect(Object.keys(RUNS_ON_OLDER_NODE).filter((name) => !excluding.has(name))).toEqual([]);
  });
});
