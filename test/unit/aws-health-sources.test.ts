import { CloudWatchClient, DescribeAlarmsCommand, GetMetricDataCommand } from '@aws-sdk/client-cloudwatch';
import { AssumeRoleCommand, STSClient, type AssumeRoleCommandOutput } from '@aws-sdk/client-sts';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import {
  awsHealthSource,
  prometheusAuthorizer,
  type AwsHealthDependencies,
} from '../../functions/adapters/aws/aws-health-sources.js';
import { assumedRoleCredentials } from '../../functions/adapters/aws/assumed-role-credentials.js';
import { CloudWatchHealthSource } from '../../functions/adapters/aws/cloudwatch-health-source.js';
import { PrometheusHealthSource } from '../../functions/adapters/prometheus/prometheus-health-source.js';

const staticCredentials = (accessKeyId: string) => () =>
  Promise.resolve({ accessKeyId, secretAccessKey: 'secret', sessionToken: 'token' });

function fakeDependencies(secrets: Record<string, string> = {}) {
  const assumed: string[] = [];
  const deps: AwsHealthDependencies = {
    assumeRole: (roleArn) => {
      assumed.push(roleArn);
      return staticCredentials(`ASSUMED-${roleArn.split(':')[4] ?? ''}`);
    },
    ownCredentials: () => staticCredentials('OWN'),
    readSecret: (arn) =>
      arn in secrets ? Promise.resolve(secrets[arn] ?? '') : Promise.reject(new Error(`no secret ${arn}`)),
  };
  return { deps, assumed };
}

const WORKLOAD_ACCOUNTS = JSON.stringify({
  hml: { account: '111111111111', regions: ['us-east-1'] },
  prod: { account: '222222222222', regions: ['us-east-1', 'sa-east-1'] },
});

describe('awsHealthSource', () => {
  const cloudWatch = mockClient(CloudWatchClient);
  beforeEach(() => cloudWatch.reset());

  it("reads CloudWatch with the function's own role when nothing is configured", () => {
    const { deps, assumed } = fakeDependencies();
    const source = awsHealthSource({}, deps);
    expect(source.sources.hml).toBeInstanceOf(CloudWatchHealthSource);
    expect(source.sources.prod).toBeInstanceOf(CloudWatchHealthSource);
    expect(assumed).toEqual([]);
  });

  it("chooses the source per environment and assumes the reader role of that environment's account only", async () => {
    const { deps, assumed } = fakeDependencies();
    const source = awsHealthSource(
      {
        FLIGHTPLAN_HEALTH_SOURCES: JSON.stringify({
          hml: { type: 'prometheus', url: 'https://mimir.example.com/prometheus' },
        }),
        FLIGHTPLAN_WORKLOAD_ACCOUNTS: WORKLOAD_ACCOUNTS,
      },
      deps,
    );
    expect(source.sources.hml).toBeInstanceOf(PrometheusHealthSource);
    expect(source.sources.prod).toBeInstanceOf(CloudWatchHealthSource);
    expect(assumed).toEqual([
      'arn:aws:iam::111111111111:role/FlightplanHealthReader',
      'arn:aws:iam::222222222222:role/FlightplanHealthReader',
    ]);

    cloudWatch.on(DescribeAlarmsCommand).resolves({ MetricAlarms: [{ AlarmName: 'orders-api-prod-5xx' }] });
    cloudWatch.on(GetMetricDataCommand).resolves({ MetricDataResults: [] });
    expect(
      (await source.observe({ service: 'orders-api', environment: 'prod', region: 'sa-east-1' })).alarmsInAlarm,
    ).toEqual(['orders-api-prod-5xx']);
    const client = cloudWatch.commandCalls(DescribeAlarmsCommand)[0]?.thisValue as CloudWatchClient | undefined;
    expect((await client?.config.credentials())?.accessKeyId).toBe('ASSUMED-222222222222');
  });

  it('stops at cold start on a malformed configuration, naming the variable', () => {
    expect(() =>
      awsHealthSource({ FLIGHTPLAN_HEALTH_SOURCES: '{"hml": {"type": "prometheus"}}' }, fakeDependencies().deps),
    ).toThrow('FLIGHTPLAN_HEALTH_SOURCES');
    expect(() =>
      awsHealthSource({ FLIGHTPLAN_WORKLOAD_ACCOUNTS: '{"hml": {"account": "1"}}' }, fakeDependencies().deps),
    ).toThrow('FLIGHTPLAN_WORKLOAD_ACCOUNTS');
  });
});

describe('prometheusAuthorizer', () => {
  const url = new URL(
    'https://aps-workspaces.us-east-1.amazonaws.com/workspaces/ws-1234/api/v1/query?query=sum%28up%29',
  );
  const secretArn = 'arn:aws:secretsmanager:us-east-1:123456789012:secret:grafana-AbCdEf';

  it.each([
    ['bearer', { type: 'bearer', secretArn } as const, 'glc_token\n', 'Bearer glc_token'],
    [
      'basic',
      { type: 'basic', secretArn } as const,
      '{"username": "123456", "password": "glc_token"}',
      `Basic ${Buffer.from('123456:glc_token').toString('base64')}`,
    ],
  ])('sends %s credentials from Secrets Manager', async (_name, auth, secret, header) => {
    const { deps } = fakeDependencies({ [secretArn]: secret });
    const authorize = prometheusAuthorizer(auth, staticCredentials('OWN'), deps);
    expect(await authorize?.({ url, method: 'GET' })).toEqual({ authorization: header });
  });

  it('signs for Amazon Managed Prometheus with SigV4 (service aps) and the given credentials', async () => {
    const authorize = prometheusAuthorizer(
      { type: 'sigv4', region: 'us-east-1' },
      staticCredentials('ASSUMED-111111111111'),
      fakeDependencies().deps,
    );
    const headers = (await authorize?.({ url, method: 'GET' })) ?? {};
    expect(headers['authorization']).toMatch(
      /^AWS4-HMAC-SHA256 Credential=ASSUMED-111111111111\/\d{8}\/us-east-1\/aps\/aws4_request, SignedHeaders=host;x-amz-content-sha256;x-amz-date;x-amz-security-token, Signature=[0-9a-f]{64}$/u,
    );
    expect(headers['x-amz-security-token']).toBe('token');
    expect(Object.keys(headers).map((name) => name.toLowerCase())).not.toContain('host');
  });

  it('sends nothing when the source needs no authentication', () => {
    expect(prometheusAuthorizer({ type: 'none' }, staticCredentials('OWN'), fakeDependencies().deps)).toBeUndefined();
  });
});

describe('assumedRoleCredentials', () => {
  const sts = mockClient(STSClient);
  beforeEach(() => sts.reset());
  const roleArn = 'arn:aws:iam::111111111111:role/FlightplanHealthReader';

  const assumedUntil = (expiration: Date, accessKeyId = 'ASIA1') => ({
    Credentials: { AccessKeyId: accessKeyId, SecretAccessKey: 'secret', SessionToken: 'token', Expiration: expiration },
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it("assumes the workload account's reader role for 15 minutes under the flightplan-health session", async () => {
    const expiration = new Date(Date.now() + 900_000);
    sts.on(AssumeRoleCommand).resolves(assumedUntil(expiration));
    const credentials = assumedRoleCredentials(roleArn, new STSClient({ region: 'us-east-1' }));
    expect(await credentials()).toEqual({
      accessKeyId: 'ASIA1',
      secretAccessKey: 'secret',
      sessionToken: 'token',
      expiration,
    });
    expect(sts.commandCalls(AssumeRoleCommand).map((call) => call.args[0].input)).toEqual([
      { RoleArn: roleArn, RoleSessionName: 'flightplan-health', DurationSeconds: 900 },
    ]);
  });

  it('assumes the role once for every query of a gate, and again only five minutes before the credentials expire', async () => {
    vi.useFakeTimers({ now: new Date('2026-12-03T12:00:00Z'), toFake: ['Date'] });
    sts
      .on(AssumeRoleCommand)
      .resolvesOnce(assumedUntil(new Date('2026-12-03T12:15:00Z'), 'ASIA1'))
      .resolvesOnce(assumedUntil(new Date('2026-12-03T12:25:00Z'), 'ASIA2'));
    const credentials = assumedRoleCredentials(roleArn, new STSClient({ region: 'us-east-1' }));
    const keys = async () =>
      (await Promise.all([credentials(), credentials(), credentials()])).map((c) => c.accessKeyId);

    expect(await keys()).toEqual(['ASIA1', 'ASIA1', 'ASIA1']);
    vi.setSystemTime(new Date('2026-12-03T12:09:59Z'));
    expect(await keys()).toEqual(['ASIA1', 'ASIA1', 'ASIA1']);
    expect(sts.commandCalls(AssumeRoleCommand)).toHaveLength(1);
    vi.setSystemTime(new Date('2026-12-03T12:10:01Z'));
    expect((await credentials()).accessKeyId).toBe('ASIA2');
    expect(sts.commandCalls(AssumeRoleCommand)).toHaveLength(2);
  });

  it('assumes the role again after STS failed, rather than keeping the failure', async () => {
    sts
      .on(AssumeRoleCommand)
      .rejectsOnce(new Error('Rate exceeded'))
      .resolves(assumedUntil(new Date(Date.now() + 900_000)));
    const credentials = assumedRoleCredentials(roleArn, new STSClient({ region: 'us-east-1' }));
    await expect(credentials()).rejects.toThrow('Rate exceeded');
    expect((await credentials()).accessKeyId).toBe('ASIA1');
  });

  it.each<[string, AssumeRoleCommandOutput]>([
    ['credentials', { $metadata: {} }],
    [
      'an expiry',
      {
        $metadata: {},
        Credentials: { AccessKeyId: 'ASIA1', SecretAccessKey: 'secret', SessionToken: 'token', Expiration: undefined },
      },
    ],
  ])('fails, naming the role, when STS answers without %s', async (_missing, answer) => {
    sts.on(AssumeRoleCommand).resolves(answer);
    await expect(assumedRoleCredentials(roleArn, new STSClient({ region: 'us-east-1' }))()).rejects.toThrow(
      `STS answered AssumeRole of ${roleArn} without credentials and their expiry`,
    );
  });
});
