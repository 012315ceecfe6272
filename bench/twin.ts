import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startTwin } from '../infra/twin/runtime.js';
import { ensureCloudAssembly } from '../infra/twin/synth.js';
import { DEFAULT_ASSEMBLY, REPOSITORY_ROOT } from '../infra/twin/runtime.js';
import { round, type BenchResult } from './support.js';

/** The issue's budgets: start with a cached synth, and the twin's e2e scenarios, on 2 cores. */
const START_BUDGET_SECONDS = 20;
const SCENARIOS_BUDGET_SECONDS = 300;

async function timeStart(): Promise<number> {
  const dataDir = await mkdtemp(join(tmpdir(), 'flightplan-bench-twin-'));
  const started = performance.now();
  const twin = await startTwin({ port: 0, dataDir, inMemory: true, timeScale: 60 });
  const response = await fetch(`${twin.url}/healthz`);
  const seconds = (performance.now() - started) / 1000;
  if (response.status !== 200) throw new Error(`/healthz answered ${response.status}`);
  await twin.stop();
  await rm(dataDir, { recursive: true, force: true });
  return seconds;
}

function timeScenarios(): Promise<{ seconds: number; passed: boolean }> {
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const child = spawn('npx', ['vitest', 'run'], {
      cwd: REPOSITORY_ROOT,
      env: { ...process.env, FLIGHTPLAN_E2E_RUNTIME: 'twin' },
      stdio: 'ignore',
    });
    child.on('error', reject);
    child.on('exit', (code) => {
      resolve({ seconds: (performance.now() - started) / 1000, passed: code === 0 });
    });
  });
}

/** Twin start (cached synth) to /healthz, twice; then `npm run test:twin` end to end. */
export async function twinBench(): Promise<BenchResult> {
  const synth = await ensureCloudAssembly({ root: REPOSITORY_ROOT, outdir: DEFAULT_ASSEMBLY, log: () => undefined });
  const starts = [await timeStart(), await timeStart()];
  const scenarios = await timeScenarios();
  return {
    name: 'twin',
    description: `The AWS twin on this machine: start with the cloud assembly already synthesized (budget ${START_BUDGET_SECONDS} s), and the twin's e2e scenarios (\`npm run test:twin\`, budget ${SCENARIOS_BUDGET_SECONDS} s). A synth${synth.synthesized ? ` ran first and took ${round(synth.seconds)} s` : ' was not needed'}.`,
    rows: [
      ...starts.map((seconds, index) => ({
        measure: `twin start, cached synth (run ${index + 1})`,
        seconds: round(seconds),
        budget: START_BUDGET_SECONDS,
        within: seconds <= START_BUDGET_SECONDS ? 'yes' : 'no',
      })),
      {
        measure: `twin scenarios (${scenarios.passed ? 'passed' : 'FAILED'})`,
        seconds: round(scenarios.seconds),
        budget: SCENARIOS_BUDGET_SECONDS,
        within: scenarios.seconds <= SCENARIOS_BUDGET_SECONDS ? 'yes' : 'no',
      },
    ],
  };
}
