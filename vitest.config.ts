import { defineConfig } from 'vitest/config';

/**
 * `npm run test:twin` (FLIGHTPLAN_E2E_RUNTIME=twin) runs these scenarios, by name, against the
 * twin (`npm run twin`: the cloud assembly). The files' other tests reach into the local
 * runtime's process (fault injection, live freeze windows) or repeat what these show, and run on
 * `npm start` only.
 */
const TWIN_SCENARIOS = [
  'deploys the head commit to HML',
  'the twin, as an operator sees it',
  'HappyPath',
  'AlarmDuringBake',
  'queues a second release behind the first',
  'approves from Slack',
  'goes from request to approval, pull request, merge and apply',
  'registers the service so it deploys at once',
  'hands storefront list cursors',
  'does not take a Slack Connect guest',
  'does not go back to an older catalog-info.yaml',
  'does not take HML back to an older commit',
];
const onTwin = process.env['FLIGHTPLAN_E2E_RUNTIME'] === 'twin';
const escaped = (name: string) => name.replace(/[.*+?^${}()|[\]\\]/gu, '\\$&');

export default defineConfig({
  test: {
    ...(onTwin ? { testNamePattern: new RegExp(TWIN_SCENARIOS.map(escaped).join('|'), 'u') } : {}),
    projects: onTwin
      ? [
          {
            test: {
              name: 'e2e-twin',
              include: ['test/e2e/{hml-deploy,twin,prod-rollout,approvals,provisioning,service-creation}.test.ts'],
              // One twin for the whole run (test/support/local-runtime.ts, FLIGHTPLAN_TWIN_SHARED): the
              // files run one after another in one worker process that keeps its modules between
              // them, so the twin, its DynamoDB Local and its warm functions start once, not per file.
              fileParallelism: false,
              pool: 'forks',
              isolate: false,
              env: { FLIGHTPLAN_TWIN_SHARED: '1' },
              globalSetup: ['test/support/twin-run.ts'],
              testTimeout: 600_000,
              hookTimeout: 300_000,
            },
          },
        ]
      : [
          // Property tests run hundreds of cases: the default 5 s is a timing margin a busy machine eats.
          { test: { name: 'unit', include: ['test/unit/**/*.test.ts'], testTimeout: 60_000 } },
          {
            test: {
              name: 'integration',
              include: ['test/integration/**/*.test.ts'],
              testTimeout: 180_000,
              hookTimeout: 180_000,
            },
          },
          // twin.test.ts is about the twin itself; it runs in npm run test:twin.
          {
            test: {
              name: 'e2e',
              include: ['test/e2e/**/*.test.ts'],
              exclude: ['test/e2e/twin.test.ts'],
              testTimeout: 180_000,
              hookTimeout: 180_000,
            },
          },
          { test: { name: 'infra', include: ['test/infra/**/*.test.ts'], testTimeout: 120_000, hookTimeout: 600_000 } },
        ],
  },
});
