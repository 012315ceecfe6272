import { parseArgs } from 'node:util';
import { ENV } from '../../functions/config.js';
import { JavaMissingError } from './dynamodb-local.js';
import { localOptionsFromEnv, startLocalRuntime } from './runtime.js';

const { values } = parseArgs({
  options: {
    fresh: { type: 'boolean', default: false },
    verbose: { type: 'boolean', short: 'v', default: false },
    help: { type: 'boolean', short: 'h', default: false },
  },
});

if (values.help) {
  console.log(`npm start [-- --fresh] [-- --verbose]

Runs the Flightplan control plane on this machine.
  --fresh     start from empty state (deletes the data directory first)
  --verbose   print every workflow state and bus delivery failure

Environment: ${ENV.port} (3000), ${ENV.timeScale} (60), ${ENV.dataDir} (.local),
${ENV.dynamoDbEndpoint} (use this DynamoDB instead of starting DynamoDB Local),
${ENV.githubWebhookSecret}, ${ENV.argocdToken}, ${ENV.slackSigningSecret}, ${ENV.cursorKey}.`);
  process.exit(0);
}

const started = Date.now();
const options = localOptionsFromEnv();
try {
  const runtime = await startLocalRuntime({
    ...options,
    fresh: values.fresh,
    log: values.verbose
      ? (line) => {
          console.log(`  ${line}`);
        }
      : (line) => {
          if (!line.startsWith('sfn:')) console.log(`  ${line}`);
        },
  });
  const seconds = ((Date.now() - started) / 1000).toFixed(1);
  console.log(`
Flightplan is running (ready in ${seconds}s)

  HTTP API           ${runtime.url}   (GET /healthz)
  Webhooks           POST ${runtime.url}/webhooks/github, /webhooks/argocd
  Portal API         GET ${runtime.url}/v1/deployments   (token: npm run -s token -- --sub alice)
                     /v1/provisioning-requests, /v1/services, /v1/approvals; OpenAPI at /v1/openapi.json
  Local controls     POST ${runtime.url}/local/sim/health, /local/sim/alarm
                     GET /local/github/pull-requests, POST /local/github/pull-requests/{number}/merge|close
  GitHub (simulated) ${runtime.dataDir}/github   (the Terraform repository and created service repositories)
  DynamoDB Local     ${runtime.dynamoDbEndpoint}   (data in ${runtime.dataDir}/dynamodb)
  GitOps repository  ${runtime.gitops.directory}   (git log there)
  Argo CD            simulated: syncs each GitOps commit and notifies /webhooks/argocd
  Step Functions     local runner over workflows/*.asl.json
  Time scale         ${runtime.timeScale}x  (${ENV.timeScale}; a 30-minute bake lasts ${Math.round(1800 / runtime.timeScale)}s)

Try it: npm run demo [-- hml|rollout|provision|service]        Stop: Ctrl-C
`);
  let stopping = false;
  const shutdown = (signal: string) => {
    if (stopping) return;
    stopping = true;
    console.log(`\n${signal}: stopping Flightplan…`);
    void runtime.stop().then(
      () => {
        console.log('Stopped. State is kept in', runtime.dataDir);
        process.exit(0);
      },
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
  if (error instanceof JavaMissingError) {
    console.error(error.message);
  } else if ((error as NodeJS.ErrnoException).code === 'EADDRINUSE') {
    console.error(`Port ${options.port} is in use. Stop whatever uses it or set ${ENV.port}=<another port>.`);
  } else {
    console.error('Flightplan could not start:', error);
  }
  process.exit(1);
}
