import '../infra/local/log-defaults.js';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { coldStartBench } from './cold-start.js';
import { costBench } from './cost.js';
import { ingressBench } from './ingress.js';
import { restartBench } from './restart.js';
import { scaleBench } from './scale.js';
import { twinBench } from './twin.js';
import type { BenchOptions, BenchResult } from './support.js';

const BENCHES: Record<string, (options: BenchOptions) => Promise<BenchResult>> = {
  'cold-start': coldStartBench,
  ingress: ingressBench,
  cost: costBench,
  scale: scaleBench,
  restart: restartBench,
  twin: twinBench,
};
const RESULTS_DIR = join(import.meta.dirname, 'results');

function table(rows: BenchResult['rows']): string {
  const columns = Object.keys(rows[0] ?? {});
  return [
    `| ${columns.join(' | ')} |`,
    `|${columns.map(() => '---').join('|')}|`,
    ...rows.map((row) => `| ${columns.map((column) => String(row[column] ?? '')).join(' | ')} |`),
  ].join('\n');
}

const sectionOf = (name: string, result: BenchResult) =>
  `## ${name}\n\n${result.description}\n\n${table(result.rows)}\n`;

const { positionals, values } = parseArgs({
  allowPositionals: true,
  options: { baseline: { type: 'string' } },
});
const options: BenchOptions = values.baseline === undefined ? {} : { baseline: values.baseline };
const selected = positionals.length > 0 ? positionals : Object.keys(BENCHES);
const unknown = selected.filter((name) => !(name in BENCHES));
if (unknown.length > 0) {
  console.error(`Unknown benchmark(s) ${unknown.join(', ')}. Available: ${Object.keys(BENCHES).join(', ')}`);
  process.exit(2);
}

await mkdir(RESULTS_DIR, { recursive: true });
for (const name of selected) {
  const started = performance.now();
  console.log(`▸ ${name}…`);
  const result = await (BENCHES[name] as (options: BenchOptions) => Promise<BenchResult>)(options);
  const seconds = ((performance.now() - started) / 1000).toFixed(1);
  const record = { ...result, measuredAt: new Date().toISOString(), node: process.version, seconds: Number(seconds) };
  await writeFile(join(RESULTS_DIR, `${name}.json`), `${JSON.stringify(record, null, 2)}\n`);
  console.log(`${sectionOf(name, result)}\n(${seconds} s)\n`);
}

// The file shows every benchmark's last results, from their JSON: a run of some keeps the others'.
const sections: string[] = [];
for (const name of Object.keys(BENCHES)) {
  const last = await readFile(join(RESULTS_DIR, `${name}.json`), 'utf8').then(
    (text) => JSON.parse(text) as BenchResult,
    () => undefined,
  );
  if (last) sections.push(sectionOf(name, last));
}
await writeFile(
  join(import.meta.dirname, 'README.md'),
  `# Benchmarks\n\n\`npm run bench\` (or \`npm run bench -- ingress cost\`) measures; results go to \`bench/results/*.json\` and this file. Timings are from the machine named in each JSON file (${process.version}, 2 cores); benchmarks report, they never fail CI.\n\n${sections.join('\n')}`,
);
