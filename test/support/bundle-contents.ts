import { readFileSync } from 'node:fs';
import type { BuildOptions } from 'esbuild';
import type { FUNCTION_BUNDLING } from '../../infra/aws/control-plane-stack.js';
import type { PortName } from '../../functions/declaration.js';

/**
 * The clients a bundle may hold only if the function declares one of the ports whose AWS adapter
 * uses them. A module matches by its path in the bundle's source map (what esbuild bundled) or by
 * an import the bundle leaves to the runtime (`@aws-sdk/*` when the runtime provides the SDK).
 */
export const CLIENTS: readonly { client: string; module: RegExp; ports: readonly PortName[] }[] = [
  {
    client: 'Octokit',
    module: /@octokit\/(rest|core|auth-app|request)\//u,
    ports: ['gitops', 'githubDeployments', 'codeHost'],
  },
  { client: 'Slack WebClient', module: /@slack\/web-api/u, ports: ['chat'] },
  { client: 'Step Functions client', module: /@aws-sdk\/client-sfn/u, ports: ['workflows'] },
  { client: 'ECR client', module: /@aws-sdk\/client-ecr/u, ports: ['artifacts'] },
  { client: 'CloudWatch client', module: /@aws-sdk\/client-cloudwatch/u, ports: ['health'] },
  { client: 'EventBridge client', module: /@aws-sdk\/client-eventbridge/u, ports: ['bus', 'deployments'] },
  {
    client: 'DynamoDB client',
    module: /@aws-sdk\/(client|lib)-dynamodb/u,
    ports: ['deployments', 'catalog', 'approvals', 'locks', 'waits', 'provisioning', 'idempotency'],
  },
  {
    // Lambda hands a function its credentials in the environment (functions/adapters/aws/lambda-credentials.ts).
    client: "the SDK's default credential chain (INI, SSO, process, web identity, instance metadata)",
    module: /@aws-sdk\/(credential-provider-(ini|sso|process|web-identity|login)|nested-clients)\//u,
    ports: [],
  },
  // Only the health port assumes a role, FlightplanHealthReader in the workload accounts.
  { client: 'STS client', module: /@aws-sdk\/client-sts\//u, ports: ['health'] },
  {
    client: 'Secrets Manager (Powertools parameters)',
    module: /@aws-lambda-powertools\/parameters|@aws-sdk\/client-secrets-manager/u,
    ports: [
      'githubWebhookSecret',
      'argocdToken',
      'slackSigningSecret',
      'cursorKey',
      'chat',
      'gitops',
      'githubDeployments',
      'codeHost',
      'health',
    ],
  },
];

/** Every module a shipped bundle holds or imports: its source map's sources and its bare imports. */
export function bundledModules(entry: string): string[] {
  const code = readFileSync(entry, 'utf8');
  const { sources } = JSON.parse(readFileSync(`${entry}.map`, 'utf8')) as { sources: string[] };
  const imported = [...code.matchAll(/(?:from|import)\s*\(?\s*["']([^"'./][^"']*)["']/gu)].map(
    (match) => match[1] ?? '',
  );
  return [...sources, ...imported];
}

/** The clients in a bundle that none of its function's declared ports needs. */
export function clientsBeyondPorts(modules: readonly string[], ports: readonly PortName[]): string[] {
  return CLIENTS.filter(
    ({ module, ports: needing }) =>
      modules.some((path) => module.test(path)) && !needing.some((port) => ports.includes(port)),
  ).map(({ client }) => client);
}

/** esbuild's options for what CDK runs with these bundling options, for variants built outside synth. */
export function esbuildOptionsOf(bundling: typeof FUNCTION_BUNDLING): BuildOptions {
  return {
    bundle: true,
    platform: 'node',
    format: 'esm',
    minify: bundling.minify,
    sourcemap: bundling.sourceMap,
    sourcesContent: bundling.sourcesContent,
    target: bundling.target,
    mainFields: bundling.mainFields,
    banner: { js: bundling.banner },
    alias: Object.fromEntries(
      bundling.esbuildArgs['--alias'].map((argument) => {
        const [module = '', path = ''] = argument.split('=');
        return [module, path];
      }),
    ),
    logLevel: 'error',
  };
}
