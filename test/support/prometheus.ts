import { spawn, type ChildProcess } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';

/** Debian's `prometheus` package; CI installs it (.ci/run). A missing binary fails, it never skips. */
export function prometheusBinary(env: NodeJS.ProcessEnv = process.env): string {
  for (const directory of [...(env['PATH'] ?? '').split(delimiter), '/usr/bin', '/usr/local/bin']) {
    const candidate = join(directory, 'prometheus');
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // Not in this directory; try the next one.
    }
  }
  throw new Error(
    'The prometheus binary is not installed: run `apt-get install -y prometheus` (.ci/run installs it when it is missing)',
  );
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => {
        resolve(port);
      });
    });
  });
}

export interface RunningPrometheus {
  url: string;
  /** An instant query's first sample, or undefined when it has no series. */
  query(promql: string): Promise<number | undefined>;
  /** Polls `check` every 100 ms until it holds; fails with `what` after the deadline. */
  until(what: string, check: () => Promise<boolean>, timeoutMs?: number): Promise<void>;
  stop(): Promise<void>;
}

/**
 * A real Prometheus on a free loopback port, with its own config and TSDB in a temp dir, scraping
 * `targets` every `scrapeSeconds`. Resolves once `/-/ready` answers 200.
 */
export async function startPrometheus(options: {
  port: number;
  scrape: { jobName: string; metricsPath: string; target: string };
  scrapeSeconds: number;
}): Promise<RunningPrometheus> {
  const binary = prometheusBinary();
  const directory = await mkdtemp(join(tmpdir(), 'flightplan-prometheus-'));
  const configFile = join(directory, 'prometheus.yml');
  await writeFile(
    configFile,
    [
      'global:',
      `  scrape_interval: ${options.scrapeSeconds}s`,
      `  scrape_timeout: ${options.scrapeSeconds}s`,
      'scrape_configs:',
      `  - job_name: ${options.scrape.jobName}`,
      `    metrics_path: ${options.scrape.metricsPath}`,
      '    static_configs:',
      `      - targets: ['${options.scrape.target}']`,
      '',
    ].join('\n'),
  );
  const url = `http://127.0.0.1:${options.port}`;
  const log: string[] = [];
  const child: ChildProcess = spawn(
    binary,
    [
      `--config.file=${configFile}`,
      `--storage.tsdb.path=${join(directory, 'data')}`,
      `--web.listen-address=127.0.0.1:${options.port}`,
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  const remember = (chunk: Buffer) => {
    log.push(chunk.toString());
  };
  child.stdout?.on('data', remember);
  child.stderr?.on('data', remember);
  let exited: string | undefined;
  child.once('exit', (code, signal) => {
    exited = `prometheus exited (${code ?? signal ?? 'unknown'})`;
  });

  const stop = async () => {
    if (exited === undefined && child.pid !== undefined) {
      const gone = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      await gone;
    }
    await rm(directory, { recursive: true, force: true });
  };
  const until = async (what: string, check: () => Promise<boolean>, timeoutMs = 30_000) => {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      if (exited !== undefined) throw new Error(`${exited} while waiting for ${what}:\n${log.join('').slice(-2000)}`);
      if (await check().catch(() => false)) return;
      if (Date.now() > deadline) throw new Error(`Timed out waiting for ${what}:\n${log.join('').slice(-2000)}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  };
  const query = async (promql: string) => {
    const response = await fetch(`${url}/api/v1/query?query=${encodeURIComponent(promql)}`);
    const answer = (await response.json()) as {
      status: string;
      error?: string;
      data?: { result: { value: [number, string] }[] };
    };
    if (answer.status !== 'success') throw new Error(`PromQL ${promql} failed: ${answer.error ?? response.status}`);
    const sample = answer.data?.result[0]?.value[1];
    return sample === undefined ? undefined : Number(sample);
  };
  try {
    await until('Prometheus to be ready (GET /-/ready)', async () => (await fetch(`${url}/-/ready`)).status === 200);
  } catch (error) {
    await stop();
    throw error;
  }
  return { url, query, until, stop };
}
