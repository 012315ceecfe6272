import { parseArgs } from 'node:util';
import { ENV } from '../../functions/config.js';
import { JavaMissingError } from '../local/dynamodb-local.js';
import { localOptionsFromEnv } from '../local/runtime.js';
import { startTwin } from './runtime.js';
import { ensureCloudAssembly } from './synth.js';
import { DEFAULT_ASSEMBLY, REPOSITORY_ROOT } from './runtime.js';

const { values } = parseArgs({
  options: {
    fresh: { type: 'boolean', default: false },
    synth: { type: 'boolean', default: false },
    'synth-only': { type: 'boolean', default: false },
    verbose: { type: 'boolean', short: 'v', default: false },
    help: { type: 'boolean', short: 'h', default: false },
  },
});

if (values.help) {
  console.log(`npm run twin [-- --fresh] [-- --synth] [-- --verbose]

Runs the synthesized cloud assembly (cdk.out, as npm run synth writes it) on this machine: every function's bundle
with its template environment, its AWS SDK calls against local endpoints, IAM enforced.
  --fresh     start from empty state (deletes the data directory first)
  --synth     synthesize again even if the assembly is newer than the sources
  --synth-only  synthesize if the assembly is older than the sources, then exit (CI, before the twin's tests)
  --verbose   print every workflow state

Environment: ${ENV.port} (3000), ${ENV.timeScale} (60), ${ENV.dataDir} (.local; the twin uses <dir>/twin).`);
  process.exit(0);
}

const started = Date.now();
const options = localOptionsFromEnv();
const log = (line: string) => {
  if (values.verbose || !line.startsWith('sfn:')) console.log(`  ${line}`);
};
if (values['synth-only']) {
  const result = await ensureCloudAssembly({ root: REPOSITORY_ROOT, outdir: DEFAULT_ASSEMBLY, log });
  console.log(
    result.synthesized
      ? `  synthesized in ${result.seconds.toFixed(0)} s`
      : '  the cloud assembly is newer than the sources',
  );
  process.exit(0);
}

try {
  if (values.synth) await ensureCloudAssembly({ root: REPOSITORY_ROOT, outdir: DEFAULT_ASSEMBLY, force: true, log });
  const twin = await startTwin({ ...options, dataDir: `${options.dataDir}/twin`, fresh: values.fresh, log });
  const seconds = ((Date.now() - started) / 1000).toFixed(1);
  const functions = twin.lambda.specs();
  console.log(`
Flightplan twin is running (ready in ${seconds}s): the cloud assembly, not the sources

  HTTP API           ${twin.url}   (GET /healthz; same routes and local controls as npm start)
  Cloud assembly     ${twin.assembly.directory}   (${twin.assembly.stacks.map((stack) => stack.name).join(', ')})
  Functions          ${functions.length} bundles in worker threads   (GET /twin/functions; logs in ${twin.dataDir}/logs)
  Endpoints          GET /twin/endpoints
${Object.entries(twin.endpoints)
  .map(([service, url]) => `    ${service.padEnd(16)} ${url}`)
  .join('\n')}
  Operator access    AWS_ACCESS_KEY_ID=${twin.operatorCredentials.accessKeyId} AWS_SECRET_ACCESS_KEY=twin AWS_SESSION_TOKEN=twin
                     aws stepfunctions list-executions --endpoint-url ${twin.endpoints.stepfunctions} --state-machine-arn …
${twin.services.missing.length > 0 ? `  Not emulated       ${twin.services.missing.join(', ')} (their calls fail)\n` : ''}  Time scale         ${twin.timeScale}x  (${ENV.timeScale})

Try it: ${ENV.port}=${twin.port} npm run demo        Stop: Ctrl-C
`);
  let stopping = false;
  const shutdown = (signal: string) => {
    if (stopping) return;
    stopping = true;
    console.log(`\n${signal}: stopping the twin…`);
    void twin.stop().then(
      () => process.exit(0),
      (error: unknown) => {
        console.error('Stopped with an error:', error);
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', () => {
    shutdown('SIGINT');
  });
  process.on('SIGTERM', () => {
    shutdown('SIGTERM');
  });
} catch (error) {
  if (error instanceof JavaMissingError) console.error(error.message);
  else if ((error as NodeJS.ErrnoException).code === 'EADDRINUSE')
    console.error(`Port ${options.port} is in use. Set ${ENV.port}=<another port>.`);
  else console.error('The twin could not start:', error);
  process.exit(1);
}
