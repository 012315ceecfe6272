import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { freePort } from '../../infra/local/dynamodb-local.js';

const run = promisify(execFile);

describe('npm run demo', () => {
  it.each([
    ['hml', /Deployment SUCCEEDED/u],
    ['rollout', /Deployment ROLLED_BACK: sa-east-1: p99 412 ms > 100 ms for T1/u],
    [
      'provision',
      /Provisioning COMPLETED\n.*queueUrl +https:\/\/sqs\.us-east-1\.amazonaws\.com\/222222222222\/orders-api-events-/u,
    ],
    ['service', /Service ACTIVE[\s\S]*Deployment SUCCEEDED/u],
  ])('runs the %s scenario end to end on its own runtime', async (scenario, outcome) => {
    const dataDir = await mkdtemp(join(tmpdir(), 'flightplan-demo-'));
    try {
      const { stdout } = await run(process.execPath, ['--import', 'tsx', 'infra/local/demo.ts', scenario], {
        env: {
          ...process.env,
          FLIGHTPLAN_PORT: String(await freePort()),
          FLIGHTPLAN_DATA_DIR: dataDir,
          FLIGHTPLAN_TIME_SCALE: '600',
        },
        // A safety net just inside the test's timeout: the demo starts its own DynamoDB Local and runtime.
        timeout: 170_000,
      });
      expect(stdout).toContain('starting Flightplan in this process');
      expect(stdout).toMatch(outcome);
    } finally {
      await rm(dataDir, { recursive: true, force: true, maxRetries: 5 });
    }
  });
});
