import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { fromEnv } from '@aws-sdk/credential-provider-env';
import { Sha256 } from '@aws-crypto/sha256-js';
import { getSecret } from '@aws-lambda-powertools/parameters/secrets';
import { SignatureV4 } from '@smithy/signature-v4';
import type { Environment } from '../../domain/catalog.js';
import {
  healthReaderRoleArn,
  healthSourcesFrom,
  templatesOf,
  workloadAccountsFrom,
  type HealthSourceSettings,
  type PrometheusAuth,
} from '../../health-settings.js';
import type { GitOpsTarget, HealthSignals, HealthSource } from '../../ports/index.js';
import { PrometheusHealthSource, type PrometheusAuthorizer } from '../prometheus/prometheus-health-source.js';
import { assumedRoleCredentials, type Credentials } from './assumed-role-credentials.js';
import { CloudWatchHealthSource } from './cloudwatch-health-source.js';

/** Each environment's own source: the one a wave of that environment is judged by. */
export class HealthSourcesByEnvironment implements HealthSource {
  constructor(readonly sources: Record<Environment, HealthSource>) {}

  observe(target: GitOpsTarget): Promise<HealthSignals> {
    return this.sources[target.environment].observe(target);
  }
}

export interface AwsHealthDependencies {
  /** Credentials of FlightplanHealthReader in a workload account (STS AssumeRole, for 15 minutes). */
  assumeRole: (roleArn: string) => Credentials;
  /** The function's own credentials, where no workload account is configured. */
  ownCredentials: () => Credentials;
  readSecret: (secretArn: string) => Promise<string>;
}

const defaultDependencies: AwsHealthDependencies = {
  assumeRole: (roleArn) => assumedRoleCredentials(roleArn),
  // Lambda's: the role's credentials are in the environment (lambda-credentials.ts).
  ownCredentials: () => fromEnv(),
  readSecret: async (secretArn) => {
    // Cached by Powertools for five minutes, so three queries per gate read it once.
    const value = await getSecret(secretArn, { maxAge: 300 });
    if (typeof value !== 'string') throw new Error(`Secret ${secretArn} must be a string`);
    return value;
  },
};

/**
 * The health source of the health functions on AWS, from FLIGHTPLAN_HEALTH_SOURCES and
 * FLIGHTPLAN_WORKLOAD_ACCOUNTS: per environment CloudWatch, or Prometheus for the signals with
 * CloudWatch for alarms. With workload accounts, everything of an environment is read with its
 * account's FlightplanHealthReader role, and nothing else is assumed.
 */
export function awsHealthSource(
  env: NodeJS.ProcessEnv = process.env,
  deps: AwsHealthDependencies = defaultDependencies,
): HealthSourcesByEnvironment {
  const sources = healthSourcesFrom(env);
  const workloadAccounts = workloadAccountsFrom(env);
  const build = (environment: Environment): HealthSource => {
    const workload = workloadAccounts?.[environment];
    const credentials = workload ? deps.assumeRole(healthReaderRoleArn(workload.account)) : undefined;
    const cloudWatch = new CloudWatchHealthSource(
      (region) => new CloudWatchClient({ region, ...(credentials ? { credentials } : {}) }),
    );
    return sourceFrom(sources[environment], cloudWatch, credentials ?? deps.ownCredentials(), deps);
  };
  return new HealthSourcesByEnvironment({ hml: build('hml'), prod: build('prod') });
}

function sourceFrom(
  settings: HealthSourceSettings,
  cloudWatch: CloudWatchHealthSource,
  credentials: Credentials,
  deps: AwsHealthDependencies,
): HealthSource {
  if (settings.type === 'cloudwatch') return cloudWatch;
  const authorize = prometheusAuthorizer(settings.auth, credentials, deps);
  return new PrometheusHealthSource({
    url: settings.url,
    queries: templatesOf(settings),
    labels: settings.labels,
    windowSeconds: settings.windowSeconds,
    timeoutMs: settings.timeoutSeconds * 1000,
    alarms: cloudWatch,
    ...(authorize ? { authorize } : {}),
  });
}

const parseBasicCredentials = (value: string): { username: string; password: string } => {
  const parsed = JSON.parse(value) as { username?: unknown; password?: unknown };
  if (typeof parsed.username !== 'string' || typeof parsed.password !== 'string')
    throw new Error('A basic-auth secret must be JSON {"username": "…", "password": "…"}');
  return { username: parsed.username, password: parsed.password };
};

/** Bearer or basic from Secrets Manager (Mimir, Grafana Cloud); SigV4 for `aps` (Amazon Managed Prometheus). */
export function prometheusAuthorizer(
  auth: PrometheusAuth,
  credentials: Credentials,
  deps: Pick<AwsHealthDependencies, 'readSecret'>,
): PrometheusAuthorizer | undefined {
  switch (auth.type) {
    case 'none':
      return undefined;
    case 'bearer':
      return async () => ({ authorization: `Bearer ${(await deps.readSecret(auth.secretArn)).trim()}` });
    case 'basic':
      return async () => {
        const { username, password } = parseBasicCredentials(await deps.readSecret(auth.secretArn));
        return { authorization: `Basic ${Buffer.from(`${username}:${password}`).toString('base64')}` };
      };
    case 'sigv4': {
      const signer = new SignatureV4({ service: 'aps', region: auth.region, credentials, sha256: Sha256 });
      return async ({ url, method }) => {
        const signed = await signer.sign({
          method,
          protocol: url.protocol,
          hostname: url.hostname,
          path: url.pathname,
          query: Object.fromEntries(url.searchParams),
          headers: { host: url.host },
        });
        // fetch sets Host itself, from the same URL that was signed.
        return Object.fromEntries(Object.entries(signed.headers).filter(([name]) => name.toLowerCase() !== 'host'));
      };
    }
  }
}
