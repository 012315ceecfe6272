import { CloudWatchClient, DescribeAlarmsCommand, GetMetricDataCommand } from '@aws-sdk/client-cloudwatch';
import { DescribeImagesCommand, ECRClient, ImageNotFoundException } from '@aws-sdk/client-ecr';
import {
  DescribeExecutionCommand,
  ExecutionAlreadyExists,
  GetExecutionHistoryCommand,
  SFNClient,
  SendTaskSuccessCommand,
  StartExecutionCommand,
  TaskTimedOut,
} from '@aws-sdk/client-sfn';
import { Octokit } from '@octokit/core';
import type { WebClient } from '@slack/web-api';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { CloudWatchHealthSource } from '../../functions/adapters/aws/cloudwatch-health-source.js';
import { EcrArtifactRegistry } from '../../functions/adapters/aws/ecr-artifact-registry.js';
import { GitHubCodeHost } from '../../functions/adapters/aws/github-code-host.js';
import { GitHubGitOpsRepo } from '../../functions/adapters/aws/github-gitops-repo.js';
import { OctokitGithubDeployments } from '../../functions/adapters/aws/octokit-github-deployments.js';
import { SfnWorkflowEngine } from '../../functions/adapters/aws/sfn-workflow-engine.js';
import { SlackChat } from '../../functions/adapters/aws/slack-chat.js';
import { ArtifactNotReadyError, PolicyViolationError, TaskTokenExpiredError } from '../../functions/errors.js';

describe('EcrArtifactRegistry', () => {
  const ecr = mockClient(ECRClient);
  beforeEach(() => ecr.reset());

  it('resolves a tag to its digest in the repository named after the registry host', async () => {
    ecr
      .on(DescribeImagesCommand, { repositoryName: 'orders-api', imageIds: [{ imageTag: 'v1.2.3' }] })
      .resolves({ imageDetails: [{ imageDigest: `sha256:${'a'.repeat(64)}` }] });
    expect(
      await new EcrArtifactRegistry(new ECRClient({})).resolveDigest(
        '123456789012.dkr.ecr.us-east-1.amazonaws.com/orders-api',
        'v1.2.3',
      ),
    ).toBe(`sha256:${'a'.repeat(64)}`);
  });

  it('says the image is not ready (retryable) while CI has not pushed it', async () => {
    ecr.on(DescribeImagesCommand).rejects(new ImageNotFoundException({ message: 'not found', $metadata: {} }));
    await expect(new EcrArtifactRegistry(new ECRClient({})).resolveDigest('registry/orders-api', 'v9')).rejects.toThrow(
      ArtifactNotReadyError,
    );
  });
});

describe('CloudWatchHealthSource', () => {
  const cloudWatch = mockClient(CloudWatchClient);
  beforeEach(() => cloudWatch.reset());

  it('reports alarms in ALARM and the error rate, p99 and request count of the service in that region', async () => {
    cloudWatch.on(DescribeAlarmsCommand, { AlarmNamePrefix: 'orders-api-prod-', StateValue: 'ALARM' }).resolves({
      MetricAlarms: [{ AlarmName: 'orders-api-prod-5xx' }],
      CompositeAlarms: [{ AlarmName: 'orders-api-prod-slo' }],
    });
    cloudWatch.on(GetMetricDataCommand).resolves({
      MetricDataResults: [
        { Id: 'errorrate', Values: [0.002, 0.001] },
        { Id: 'latencyp99', Values: [87] },
        { Id: 'requestcount', Values: [15_000] },
      ],
    });
    const regions: string[] = [];
    const source = new CloudWatchHealthSource((region) => {
      regions.push(region);
      return new CloudWatchClient({ region });
    });
    expect(await source.observe({ service: 'orders-api', environment: 'prod', region: 'sa-east-1' })).toEqual({
      alarmsInAlarm: ['orders-api-prod-5xx', 'orders-api-prod-slo'],
      errorRate: 0.002,
      p99Ms: 87,
      requestCount: 15_000,
    });
    await source.observe({ service: 'orders-api', environment: 'prod', region: 'sa-east-1' });
    expect(regions).toEqual(['sa-east-1']);
    const query = cloudWatch.commandCalls(GetMetricDataCommand)[0]?.args[0].input.MetricDataQueries ?? [];
    expect(query.map((item) => [item.MetricStat?.Metric?.MetricName, item.MetricStat?.Stat])).toEqual([
      ['ErrorRate', 'Average'],
      ['LatencyP99', 'Maximum'],
      ['RequestCount', 'Sum'],
    ]);
    expect(query[0]?.MetricStat?.Metric?.Dimensions).toEqual([
      { Name: 'Service', Value: 'orders-api' },
      { Name: 'Environment', Value: 'prod' },
    ]);
  });

  it('leaves out what has no data, so a silent service is never healthy by accident', async () => {
    cloudWatch.on(DescribeAlarmsCommand).resolves({});
    cloudWatch.on(GetMetricDataCommand).resolves({ MetricDataResults: [{ Id: 'errorrate', Values: [] }] });
    expect(
      await new CloudWatchHealthSource().observe({ service: 'orders-api', environment: 'hml', region: 'us-east-1' }),
    ).toEqual({ alarmsInAlarm: [] });
  });
});

describe('SfnWorkflowEngine', () => {
  const sfn = mockClient(SFNClient);
  beforeEach(() => sfn.reset());
  const arn = 'arn:aws:states:us-east-1:123456789012:stateMachine:flightplan-provisioning';

  it('treats a start with a name already used as the same request', async () => {
    sfn.on(StartExecutionCommand).rejects(new ExecutionAlreadyExists({ message: 'exists', $metadata: {} }));
    const started = await new SfnWorkflowEngine(new SFNClient({}), { provisioning: arn }).start(
      'provisioning',
      'prv-1',
      { requestId: 'prv-1' },
    );
    expect(started).toEqual({
      executionArn: 'arn:aws:states:us-east-1:123456789012:execution:flightplan-provisioning:prv-1',
      alreadyStarted: true,
    });
  });

  it('refuses to start a state machine it was not given', async () => {
    await expect(new SfnWorkflowEngine(new SFNClient({}), {}).start('serviceCreation', 'x', {})).rejects.toThrow(
      'not given the ARN of the serviceCreation state machine',
    );
  });

  it('reads an execution and its whole history, page after page, with ISO timestamps', async () => {
    const at = new Date('2026-12-01T10:00:00Z');
    sfn.on(DescribeExecutionCommand).resolves({ name: 'prv-1', status: 'RUNNING', startDate: at });
    sfn
      .on(GetExecutionHistoryCommand)
      .resolvesOnce({ events: [{ id: 1, type: 'ExecutionStarted', timestamp: at }], nextToken: 'next' })
      .resolvesOnce({
        events: [
          {
            id: 2,
            previousEventId: 1,
            type: 'TaskStateEntered',
            timestamp: at,
            stateEnteredEventDetails: { name: 'Check policy' },
          },
        ],
      });
    const found = await new SfnWorkflowEngine(new SFNClient({}), { provisioning: arn }).executionHistory(
      'provisioning',
      'prv-1',
    );
    expect(found?.execution).toMatchObject({
      executionArn: 'arn:aws:states:us-east-1:123456789012:execution:flightplan-provisioning:prv-1',
      status: 'RUNNING',
    });
    expect(found?.events).toEqual([
      { id: 1, type: 'ExecutionStarted', timestamp: '2026-12-01T10:00:00.000Z' },
      {
        id: 2,
        previousEventId: 1,
        type: 'TaskStateEntered',
        timestamp: '2026-12-01T10:00:00.000Z',
        stateEnteredEventDetails: { name: 'Check policy' },
      },
    ]);
    expect(sfn.commandCalls(GetExecutionHistoryCommand)[1]?.args[0].input.nextToken).toBe('next');
  });

  it('turns a token that stopped waiting into TaskTokenExpiredError', async () => {
    sfn.on(SendTaskSuccessCommand).rejects(new TaskTimedOut({ message: 'timed out', $metadata: {} }));
    await expect(new SfnWorkflowEngine(new SFNClient({}), {}).sendTaskSuccess('token', { ok: true })).rejects.toThrow(
      TaskTokenExpiredError,
    );
  });
});

/** GitHub's REST API, answered from a table; every request is recorded. */
function fakeGithub(routes: Record<string, (body: Record<string, unknown>) => { status: number; body: unknown }>) {
  const calls: { route: string; body: Record<string, unknown> }[] = [];
  const fetch = (input: string | URL | Request, init?: RequestInit): Promise<Response> => {
    const url = new URL(typeof input === 'string' || input instanceof URL ? input : input.url);
    const route = `${init?.method ?? 'GET'} ${url.pathname}`;
    const body = typeof init?.body === 'string' ? (JSON.parse(init.body) as Record<string, unknown>) : {};
    calls.push({ route, body });
    const handler = routes[route];
    const answer = handler ? handler(body) : { status: 404, body: { message: 'Not Found' } };
    return Promise.resolve(
      new Response(JSON.stringify(answer.body), {
        status: answer.status,
        headers: { 'content-type': 'application/json' },
      }),
    );
  };
  return { octokit: new Octokit({ request: { fetch, retries: 0 } }), calls };
}

const ok = (body: unknown) => () => ({ status: 200, body });
const created = (body: unknown) => () => ({ status: 201, body });

describe('GitHub adapters (Octokit)', () => {
  it('commits several files in one commit on main through the Git Data API, without forcing', async () => {
    const { octokit, calls } = fakeGithub({
      'GET /repos/acme/gitops/git/ref/heads%2Fmain': ok({ object: { sha: 'parent' } }),
      'GET /repos/acme/gitops/git/commits/parent': ok({ tree: { sha: 'base-tree' } }),
      'POST /repos/acme/gitops/git/trees': created({ sha: 'new-tree' }),
      'POST /repos/acme/gitops/git/commits': created({ sha: 'new-commit' }),
      'PATCH /repos/acme/gitops/git/refs/heads%2Fmain': ok({ object: { sha: 'new-commit' } }),
    });
    const revision = await new GitHubGitOpsRepo(() => Promise.resolve(octokit), 'acme/gitops', 'main').commitFiles(
      [
        { path: 'a.yaml', content: 'a: 1\n' },
        { path: 'b.json', content: '{}' },
      ],
      'Add a service',
    );
    expect(revision).toEqual({ revision: 'new-commit' });
    expect(calls.find((call) => call.route === 'POST /repos/acme/gitops/git/trees')?.body).toMatchObject({
      base_tree: 'base-tree',
      tree: [{ path: 'a.yaml', content: 'a: 1\n' }, { path: 'b.json' }],
    });
    expect(calls.find((call) => call.route === 'POST /repos/acme/gitops/git/commits')?.body).toMatchObject({
      tree: 'new-tree',
      parents: ['parent'],
      message: 'Add a service',
    });
    expect(calls.at(-1)?.body).toEqual({ sha: 'new-commit', force: false });
  });

  it('opens a pull request from a new branch, and finds the open one on a retry instead of opening another', async () => {
    let open: unknown[] = [];
    const { octokit, calls } = fakeGithub({
      'GET /repos/acme/terraform-live/pulls': ok(open),
      'GET /repos/acme/terraform-live/git/ref/heads%2Fmain': ok({ object: { sha: 'main-sha' } }),
      'GET /repos/acme/terraform-live/git/commits/main-sha': ok({ tree: { sha: 'tree' } }),
      'POST /repos/acme/terraform-live/git/trees': created({ sha: 'tree-2' }),
      'POST /repos/acme/terraform-live/git/commits': created({ sha: 'commit-2' }),
      'POST /repos/acme/terraform-live/git/refs': created({ ref: 'refs/heads/flightplan/prv-1' }),
      'POST /repos/acme/terraform-live/pulls': (body) => {
        open = [{ number: 12, html_url: 'https://github.com/acme/terraform-live/pull/12' }];
        return {
          status: 201,
          body: { number: 12, html_url: 'https://github.com/acme/terraform-live/pull/12', title: body['title'] },
        };
      },
    });
    const host = new GitHubCodeHost(() => Promise.resolve(octokit));
    const request = {
      repository: 'acme/terraform-live',
      branch: 'flightplan/prv-1',
      files: [{ path: '1/hml/us-east-1/sqs/orders-api/q.tf', content: 'module "q" {}\n' }],
      title: 'Provision',
      body: 'why',
    };
    expect(await host.openPullRequest(request)).toEqual({
      number: 12,
      url: 'https://github.com/acme/terraform-live/pull/12',
    });
    expect(calls.find((call) => call.route === 'POST /repos/acme/terraform-live/git/refs')?.body).toEqual({
      ref: 'refs/heads/flightplan/prv-1',
      sha: 'commit-2',
    });
    expect(calls.find((call) => call.route === 'POST /repos/acme/terraform-live/pulls')?.body).toMatchObject({
      head: 'flightplan/prv-1',
      base: 'main',
      title: 'Provision',
      body: 'why',
    });
  });

  it('creates a repository from its template once and marks it; a retried step finds it by its mark', async () => {
    let topics: string[] | undefined;
    const { octokit, calls } = fakeGithub({
      'GET /repos/acme/payments-ledger': () =>
        topics
          ? { status: 200, body: { html_url: 'https://github.com/acme/payments-ledger', topics } }
          : { status: 404, body: { message: 'Not Found' } },
      'POST /repos/acme/template-node-api/generate': () => {
        topics = [];
        return { status: 201, body: { html_url: 'https://github.com/acme/payments-ledger' } };
      },
      'PUT /repos/acme/payments-ledger/topics': () => {
        topics = ['flightplan-0123456789abcdef'];
        return { status: 200, body: { names: topics } };
      },
    });
    const host = new GitHubCodeHost(() => Promise.resolve(octokit));
    const input = {
      template: 'acme/template-node-api',
      repository: 'acme/payments-ledger',
      description: 'Ledger',
      mark: 'flightplan-0123456789abcdef',
    };
    expect(await host.createRepository(input)).toEqual({
      url: 'https://github.com/acme/payments-ledger',
      created: true,
    });
    expect(await host.createRepository(input)).toEqual({
      url: 'https://github.com/acme/payments-ledger',
      created: false,
    });
    expect(
      calls.filter((call) => call.route.startsWith('POST') || call.route.startsWith('PUT')).map((call) => call.body),
    ).toEqual([
      { owner: 'acme', name: 'payments-ledger', description: 'Ledger', private: true },
      { names: ['flightplan-0123456789abcdef'] },
    ]);
  });

  it.each([
    ['without topics', undefined],
    ['marked for another service', ['flightplan-ffffffffffffffff']],
  ])('never adopts an existing repository %s', async (_case, topics) => {
    const { octokit, calls } = fakeGithub({
      'GET /repos/acme/terraform-live': ok({
        html_url: 'https://github.com/acme/terraform-live',
        ...(topics ? { topics } : {}),
      }),
    });
    const host = new GitHubCodeHost(() => Promise.resolve(octokit));
    await expect(
      host.createRepository({
        template: 'acme/template-node-api',
        repository: 'acme/terraform-live',
        description: 'x',
        mark: 'flightplan-0123456789abcdef',
      }),
    ).rejects.toThrow(PolicyViolationError);
    expect(calls.map((call) => call.route)).toEqual(['GET /repos/acme/terraform-live']);
  });

  it('puts every status of a ref and environment on one GitHub Deployment', async () => {
    const { octokit, calls } = fakeGithub({
      'GET /repos/acme/orders-api/deployments': ok([{ id: 77 }]),
      'POST /repos/acme/orders-api/deployments/77/statuses': created({ id: 1 }),
    });
    await new OctokitGithubDeployments(() => Promise.resolve(octokit)).setStatus({
      repository: 'acme/orders-api',
      ref: 'v1.2.3',
      environment: 'prod-us-east-1',
      state: 'success',
      description: 'live',
    });
    expect(calls.map((call) => call.route)).toEqual([
      'GET /repos/acme/orders-api/deployments',
      'POST /repos/acme/orders-api/deployments/77/statuses',
    ]);
    expect(calls[1]?.body).toEqual({ state: 'success', description: 'live' });
  });
});

describe('SlackChat', () => {
  const fakeSlack = (answer: { ok: boolean; ts?: string; channel?: string; error?: string }) => {
    const sent: { method: string; args: Record<string, unknown> }[] = [];
    const record = (method: string) => (args: Record<string, unknown>) => {
      sent.push({ method, args });
      return Promise.resolve(answer);
    };
    const client = {
      chat: { postMessage: record('postMessage'), update: record('update'), postEphemeral: record('postEphemeral') },
    } as unknown as WebClient;
    return { chat: new SlackChat(() => Promise.resolve(client), 'https://portal.example.com/'), sent };
  };

  it('makes the relative "details" link absolute against the portal URL', async () => {
    const { chat, sent } = fakeSlack({ ok: true, ts: '1.2', channel: 'C1' });
    await chat.post({
      channel: '#deploys-payments',
      text: 'done (</v1/deployments/d-1|details>)',
      blocks: [{ type: 'context', elements: [{ type: 'mrkdwn', text: '</v1/provisioning-requests/p-1|details>' }] }],
    });
    expect(sent[0]?.args).toEqual({
      channel: '#deploys-payments',
      text: 'done (<https://portal.example.com/v1/deployments/d-1|details>)',
      blocks: [
        {
          type: 'context',
          elements: [{ type: 'mrkdwn', text: '<https://portal.example.com/v1/provisioning-requests/p-1|details>' }],
        },
      ],
    });
  });

  it('pages the channel with @here for urgent messages and returns where the message is', async () => {
    const { chat, sent } = fakeSlack({ ok: true, ts: '1.2', channel: 'C1' });
    expect(await chat.post({ channel: '#platform-team', text: 'rollback failed', urgent: true })).toEqual({
      channel: 'C1',
      ts: '1.2',
    });
    expect(sent[0]).toEqual({
      method: 'postMessage',
      args: { channel: '#platform-team', text: '<!here> rollback failed' },
    });
  });

  it('fails loudly when Slack refuses, so the bus retries the notification', async () => {
    const { chat } = fakeSlack({ ok: false, error: 'channel_not_found' });
    await expect(chat.update('C1', '1.2', { text: 'x' })).rejects.toThrow('channel_not_found');
    await expect(chat.postEphemeral('C1', 'UBOB', 'x')).rejects.toThrow('channel_not_found');
  });

  describe('tells a member of another workspace from one of its own', () => {
    const workspace = (home: { team_id?: string; enterprise_id?: string; is_enterprise_install?: boolean }) => {
      let asked = 0;
      const client = {
        auth: {
          test: () => {
            asked += 1;
            return Promise.resolve({ ok: true, ...home });
          },
        },
        users: {
          info: ({ user }: { user: string }) => {
            const [team, enterprise] = user.split('@');
            return Promise.resolve({
              ok: true,
              user: {
                id: user,
                name: user,
                team_id: team,
                profile: { email: 'gina@acme.test' },
                ...(enterprise ? { enterprise_user: { enterprise_id: enterprise } } : {}),
              },
            });
          },
        },
      } as unknown as WebClient;
      return { chat: new SlackChat(() => Promise.resolve(client), 'https://portal.example.com/'), asked: () => asked };
    };

    it.each([
      ['a member of its own workspace', { team_id: 'THOME' }, 'THOME', false],
      ['a Slack Connect guest from another organization', { team_id: 'THOME' }, 'TPARTNER', true],
      [
        'a guest whose workspace claims the same Enterprise Grid id, without one here',
        { team_id: 'THOME' },
        'TPARTNER@EACME',
        true,
      ],
      [
        'a member of another workspace of the same Enterprise Grid organization',
        { team_id: 'THOME', enterprise_id: 'EACME' },
        'TOTHER@EACME',
        false,
      ],
      [
        'a guest from another Enterprise Grid organization',
        { team_id: 'THOME', enterprise_id: 'EACME' },
        'TPARTNER@EPARTNER',
        true,
      ],
      [
        'a member of the organization, to a bot installed org-wide',
        { is_enterprise_install: true, enterprise_id: 'EACME' },
        'TANY@EACME',
        false,
      ],
      [
        'a guest, to a bot installed org-wide',
        { is_enterprise_install: true, enterprise_id: 'EACME' },
        'TPARTNER',
        true,
      ],
    ])('%s', async (_name, home, user, fromAnotherWorkspace) => {
      const { chat, asked } = workspace(home);
      expect(await chat.userProfile(user)).toMatchObject({ fromAnotherWorkspace });
      await chat.userProfile(user);
      expect(asked()).toBe(1);
    });
  });
});
