import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../infra/aws/app.js';
import { DEFAULT_INGRESS_LIMITS, ingressLimitsFrom } from '../../infra/aws/settings.js';
import { FUNCTIONS, ROUTES } from '../../infra/system.js';
import { TwinApiGateway } from '../../infra/twin/api-gateway.js';
import { loadAssembly, StackResolver } from '../../infra/twin/assembly.js';
import { LambdaService } from '../../infra/twin/lambda.js';
import { CLOUD_ASSEMBLY, ensureCloudAssembly } from '../support/cloud-assembly.js';
import cdkJson from '../../cdk.json' with { type: 'json' };

const synthesize = (context: Record<string, unknown> = {}) =>
  Template.fromStack(
    buildApp(new App({ context: { ...cdkJson.context, 'aws:cdk:bundling-stacks': [], ...context } })).controlPlane,
  );

let template: Template;
beforeAll(() => {
  template = synthesize();
});

const stage = (from: Template) => {
  const [resource] = Object.values(from.findResources('AWS::ApiGatewayV2::Stage')) as {
    Properties: {
      RouteSettings?: Record<string, { ThrottlingRateLimit: number; ThrottlingBurstLimit: number }>;
      DefaultRouteSettings?: unknown;
      AccessLogSettings?: { Format?: string };
    };
    DependsOn?: string[];
  }[];
  if (!resource) throw new Error('No HTTP API stage');
  return resource;
};

const reservedConcurrencyOf = (from: Template, id: keyof typeof FUNCTIONS) => {
  const fn = Object.values(from.findResources('AWS::Lambda::Function')).find(
    (resource) =>
      (resource as { Properties: Record<string, unknown> }).Properties['Description'] ===
      FUNCTIONS[id].module.declaration.description,
  ) as { Properties: { ReservedConcurrentExecutions?: number } } | undefined;
  return fn?.Properties.ReservedConcurrentExecutions;
};

describe('API Gateway limits', () => {
  it('throttles every route on its own, so the webhooks cannot use up /slack/interactions or /v1', () => {
    const routeSettings = stage(template).Properties.RouteSettings ?? {};
    expect(Object.keys(routeSettings).sort()).toEqual(ROUTES.map((route) => `${route.method} ${route.path}`).sort());
    expect(routeSettings['POST /webhooks/github']).toEqual({ ThrottlingRateLimit: 50, ThrottlingBurstLimit: 100 });
    expect(routeSettings['POST /webhooks/argocd']).toEqual({ ThrottlingRateLimit: 20, ThrottlingBurstLimit: 40 });
    expect(routeSettings['POST /slack/interactions']).toEqual({ ThrottlingRateLimit: 20, ThrottlingBurstLimit: 40 });
    expect(routeSettings['POST /v1/approvals/{id}/votes']).toEqual({
      ThrottlingRateLimit: 50,
      ThrottlingBurstLimit: 100,
    });
  });

  it('creates the routes before the stage whose route settings name them', () => {
    const routeIds = Object.keys(template.findResources('AWS::ApiGatewayV2::Route'));
    expect(routeIds).toHaveLength(ROUTES.length);
    expect(stage(template).DependsOn).toEqual(expect.arrayContaining(routeIds));
  });

  it('takes each ingress function limit from flightplan:ingressLimits, field by field', () => {
    const custom = synthesize({
      'flightplan:ingressLimits': {
        githubWebhook: { rateLimit: 5 },
        slackInteractions: { reservedConcurrency: null },
      },
    });
    expect(stage(custom).Properties.RouteSettings?.['POST /webhooks/github']).toEqual({
      ThrottlingRateLimit: 5,
      ThrottlingBurstLimit: 100,
    });
    expect(reservedConcurrencyOf(custom, 'githubWebhook')).toBe(20);
    expect(reservedConcurrencyOf(custom, 'slackInteractions')).toBeUndefined();
    expect(() => ingressLimitsFrom({ githubWebhook: { rateLimit: -1 } })).toThrow(/flightplan:ingressLimits/u);
    expect(() => ingressLimitsFrom({ notAFunction: {} })).toThrow(/flightplan:ingressLimits/u);
  });

  it('reserves concurrency for each ingress function', () => {
    expect(
      Object.fromEntries(
        (Object.keys(DEFAULT_INGRESS_LIMITS) as (keyof typeof DEFAULT_INGRESS_LIMITS)[]).map((id) => [
          id,
          reservedConcurrencyOf(template, id),
        ]),
      ),
    ).toEqual({ githubWebhook: 20, argocdWebhook: 5, slackInteractions: 10, portalApi: 20 });
  });

  it("caps the Slack vote worker's concurrency, so a flood of clicks queues instead of taking the account's", () => {
    expect(reservedConcurrencyOf(template, 'countSlackVote')).toBe(5);
  });

  it("logs each request's route key, status, the JWT's sub and the authorizer's error", () => {
    const format = JSON.parse(stage(template).Properties.AccessLogSettings?.Format ?? '{}') as Record<string, string>;
    expect(format).toMatchObject({
      requestId: '$context.requestId',
      routeKey: '$context.routeKey',
      status: '$context.status',
      sub: '$context.authorizer.claims.sub',
      authorizerError: '$context.authorizer.error',
    });
  });
});

describe("the twin's API Gateway", () => {
  // The artifact: what `cdk synth` wrote, as the twin reads it.
  beforeAll(() => ensureCloudAssembly(), 600_000);

  it("lets the twin report each route's own throttling from the synthesized stage", () => {
    const stack = loadAssembly(CLOUD_ASSEMBLY).stacks.find((candidate) => candidate.name === 'Flightplan');
    if (!stack) throw new Error('No Flightplan stack in the cloud assembly');
    const gateway = new TwinApiGateway(
      new StackResolver(stack, {
        apiEndpoint: 'http://127.0.0.1:1',
        queueEndpoint: 'https://sqs.us-east-1.amazonaws.com',
      }),
      // No function runs: only the routes are read.
      new LambdaService([], { runtimeEnvironment: () => ({}), logDirectory: '', timeScale: 1, log: () => undefined }),
      () => Promise.reject(new Error('no token is verified here')),
      () => undefined,
    );
    const throttlingOf = (routeKey: string) => gateway.routes.find((route) => route.routeKey === routeKey)?.throttling;
    expect(throttlingOf('POST /webhooks/github')).toEqual({ rateLimit: 50, burstLimit: 100 });
    expect(throttlingOf('POST /slack/interactions')).toEqual({ rateLimit: 20, burstLimit: 40 });
  });
});
