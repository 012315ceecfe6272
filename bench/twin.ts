import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { startTwin } from '../infra/twin/runtime.js';
import { ensureCloudAssembly } from '../infra/twin/synth.js';
import { DEFAULT_ASSEMBLY, REPOSITORY_ROOT } from '../infra/twin/runtime.js';
import { TWIN_PREWARM_ENVIRONMENTS, TWIN_TIME_SCALE } from '../test/support/local-runtime.js';
import { round, type BenchResult } from './support.js';

/** The issue's budgets: start with a cached synth, and the twin's e2e scenarios, on 2 cores. */
const START_BUDGET_SECONDS = 20;
const SCENARIOS_BUDGET_SECONDS = 300;

/** Seconds from startTwin to /healthz answering; with `prewarm`, until every function has a warm environment. */
async function timeStart(prewarm: boolean): Promise<{ seconds: number; functions: number }> {
  const dataDir = await mkdtemp(join(tmpdir(), 'flightplan-bench-twin-'));
  const started = performance.now();
  const twin = await startTwin({
    port: 0,
    dataDir,
    inMemory: true,
    timeScale: TWIN_TIME_SCALE,
    prewarm,
    prewarmEnvironments: TWIN_PREWARM_ENVIRONMENTS,
  });
  const response = await fetch(`${twin.url}/healthz`);
  const seconds = (performance.now() - started) / 1000;
  if (response.status !== 200) throw new Error(`/healthz answered ${response.status}`);
  const functions = twin.lambda.specs().length;
  await twin.stop();
  await rm(dataDir, { recursive: true, force: true });
  return { seconds, functions };
}

interface VitestReport {
  success: boolean;
  testResults: {
    name: string;
    assertionResults: { title: string; status: string; duration?: number }[];
  }[];
}

/** `FLIGHTPLAN_E2E_RUNTIME=twin vitest run` (what `npm run test:twin` runs after its synth check), with vitest's JSON report. */
async function timeScenarios(): Promise<{ seconds: number; report: VitestReport | undefined }> {
  const outputFile = join(await mkdtemp(join(tmpdir(), 'flightplan-bench-twin-')), 'report.json');
  const started = performance.now();
  const code = await new Promise<number | null>((resolve, reject) => {
    const child = spawn('npx', ['vitest', 'run', '--reporter=json', `--outputFile=${outputFile}`], {
      cwd: REPOSITORY_ROOT,
      env: { ...process.env, FLIGHTPLAN_E2E_RUNTIME: 'twin' },
      stdio: 'ignore',
    });
    child.on('error', reject);
    child.on('exit', resolve);
  });
  const seconds = (performance.now() - started) / 1000;
  const report = await readFile(outputFile, 'utf8').then(
    (text) => JSON.parse(text) as VitestReport,
    () => undefined,
  );
  if (report && code !== 0) report.success = false;
  return { seconds, report };
}

const within = (seconds: number, budget: number) => (seconds <= budget ? 'yes' : 'no');

/**
 * Twin start (cached synth) to /healthz, twice; start with every function warm, as the scenarios
 * start it; then the twin's scenarios end to end, with each scenario's own time.
 */
export async function twinBench(): Promise<BenchResult> {
  const synth = await ensureCloudAssembly({ root: REPOSITORY_ROOT, outdir: DEFAULT_ASSEMBLY, log: () => undefined });
  const starts = [await timeStart(false), await timeStart(false)];
  const warm = await timeStart(true);
  const scenarios = await timeScenarios();
  const passed = scenarios.report?.success ?? false;
  const perScenario = (scenarios.report?.testResults ?? []).flatMap((file) =>
    file.assertionResults
      .filter((result) => result.status !== 'skipped' && result.status !== 'pending')
      .map((result) => ({
        measure: `  ${relative(REPOSITORY_ROOT, file.name)}: ${result.title.slice(0, 60)} (${result.status})`,
        seconds: round((result.duration ?? 0) / 1000),
        budget: '',
        within: '',
      })),
  );
  return {
    name: 'twin',
    description: `The AWS twin on this machine (${TWIN_TIME_SCALE}x time): start with the cloud assembly already synthesized (budget ${START_BUDGET_SECONDS} s), start with every function's environment warm (the scenarios' provisioned concurrency), and the twin's e2e scenarios (\`npm run test:twin\` after its synth check, budget ${SCENARIOS_BUDGET_SECONDS} s), each scenario's time below it (the run's one shared twin starts, and warms every function, before the first scenario; that is in the wall time only; HappyPath, AlarmDuringBake and the queue run side by side, so their times overlap). A synth${synth.synthesized ? ` ran first and took ${round(synth.seconds)} s` : ' was not needed'}.`,
    rows: [
      ...starts.map(({ seconds }, index) => ({
        measure: `twin start to /healthz, cached synth (run ${index + 1})`,
        seconds: round(seconds),
        budget: START_BUDGET_SECONDS,
        within: within(seconds, START_BUDGET_SECONDS),
      })),
      {
        measure: `twin start with all ${warm.functions} functions warm`,
        seconds: round(warm.seconds),
        budget: '',
        within: '',
      },
      {
        measure: `twin scenarios, wall time (${passed ? 'passed' : 'FAILED'})`,
        seconds: round(scenarios.seconds),
        budget: SCENARIOS_BUDGET_SECONDS,
        within: within(scenarios.seconds, SCENARIOS_BUDGET_SECONDS),
      },
      ...perScenario,
    ],
  };
}
