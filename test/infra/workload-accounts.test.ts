import { App } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../infra/aws/app.js';
import { HEALTH_FUNCTIONS } from '../../infra/aws/workload-accounts.js';
import { FUNCTIONS } from '../../infra/system.js';
import cdkJson from '../../cdk.json' with { type: 'json' };

const CONTROL = '123456789012';
const HML = '111111111111';
const PROD = '222222222222';
const WORKLOAD_ACCOUNTS = {
  hml: { account: HML, regions: ['us-east-1'] },
  prod: { account: PROD, regions: ['us-east-1', 'sa-east-1'] },
};
const HOME_BUS = `arn:aws:events:us-east-1:${CONTROL}:event-bus/flightplan`;

type Resource = { Properties: Record<string, unknown> };
type Statement = {
  Effect: string;
  Action: string | string[];
  Resource?: unknown;
  Principal?: { AWS?: unknown };
  Condition?: unknown;
  Sid?: string;
};

const appWith = (context: Record<string, unknown>) =>
  new App({ context: { ...cdkJson.context, 'aws:cdk:bundling-stacks': [], ...context } });
const resourcesOf = (template: Template, type: string) => template.findResources(type) as Record<string, Resource>;
const list = (value: unknown): unknown[] => (Array.isArray(value) ? value : [value]);

/** Each IAM policy's statements, with the names of the roles it is attached to. */
function policiesByRole(template: Template): { roles: string[]; statements: Statement[] }[] {
  const roles = resourcesOf(template, 'AWS::IAM::Role');
  return Object.values(resourcesOf(template, 'AWS::IAM::Policy')).map((policy) => ({
    roles: (policy.Properties['Roles'] as { Ref: string }[]).map(
      (ref) => (roles[ref.Ref]?.Properties['RoleName'] as string | undefined) ?? ref.Ref,
    ),
    statements: (policy.Properties['PolicyDocument'] as { Statement: Statement[] }).Statement,
  }));
}

describe('three accounts: a control plane, an HML account and a PROD account', () => {
  let built: ReturnType<typeof buildApp>;
  let controlPlane: Template;
  const healthRoleNames = HEALTH_FUNCTIONS.map((id) => `flightplan-${id}-us-east-1`);
  const healthRoleArns = healthRoleNames.map((name) => `arn:aws:iam::${CONTROL}:role/${name}`);

  beforeAll(() => {
    built = buildApp(appWith({ 'flightplan:workloadAccounts': WORKLOAD_ACCOUNTS }));
    controlPlane = Template.fromStack(built.controlPlane);
  });

  it('puts a workload stack in each workload account and region, forwarding alarms and Argo CD changes to the home bus', () => {
    expect(built.forwarders.map((stack) => `${stack.account}/${stack.region}`)).toEqual([
      `${HML}/us-east-1`,
      `${PROD}/us-east-1`,
      `${PROD}/sa-east-1`,
    ]);
    for (const stack of built.forwarders) {
      const template = Template.fromStack(stack);
      template.resourceCountIs('AWS::Events::Rule', 2);
      for (const [source, detailType] of [
        ['aws.cloudwatch', 'CloudWatch Alarm State Change'],
        ['flightplan.argocd', 'Argo CD Application Status Changed'],
      ]) {
        template.hasResourceProperties('AWS::Events::Rule', {
          EventPattern: { source: [source], 'detail-type': [detailType] },
          Targets: [Match.objectLike({ Arn: HOME_BUS, DeadLetterConfig: Match.anyValue(), RoleArn: Match.anyValue() })],
        });
      }
    }
  });

  it('lets exactly the workload accounts put events on the home bus, each only with the sources and detail-types forwarded', () => {
    const statements = Object.values(resourcesOf(controlPlane, 'AWS::Events::EventBusPolicy')).map(
      (policy) => policy.Properties['Statement'] as Statement,
    );
    const grants = statements.map((statement) => ({
      principal: JSON.stringify(statement.Principal),
      action: statement.Action,
      condition: statement.Condition,
    }));
    const expected = [HML, PROD].flatMap((account) => [
      {
        account,
        condition: {
          StringEquals: { 'events:source': 'aws.cloudwatch', 'events:detail-type': 'CloudWatch Alarm State Change' },
        },
      },
      {
        account,
        condition: {
          StringEquals: {
            'events:source': 'flightplan.argocd',
            'events:detail-type': 'Argo CD Application Status Changed',
          },
        },
      },
    ]);
    expect(grants).toHaveLength(expected.length);
    for (const { account, condition } of expected) {
      expect(
        grants.filter(
          (grant) =>
            grant.principal.includes(`::${account}:root`) &&
            JSON.stringify(grant.condition) === JSON.stringify(condition),
        ),
      ).toHaveLength(1);
    }
    expect(grants.every((grant) => grant.action === 'events:PutEvents')).toBe(true);
    expect(grants.map((grant) => grant.principal.match(/::(\d{12}):root/u)?.[1]).sort()).toEqual([
      HML,
      HML,
      PROD,
      PROD,
    ]);
  });

  it('creates one FlightplanHealthReader per workload account, read-only, that only the health functions may assume', () => {
    const readersPerStack = built.forwarders.map((stack) =>
      Object.values(resourcesOf(Template.fromStack(stack), 'AWS::IAM::Role')).filter(
        (role) => role.Properties['RoleName'] === 'FlightplanHealthReader',
      ),
    );
    expect(readersPerStack.map((readers) => readers.length)).toEqual([1, 1, 0]);
    for (const [reader] of readersPerStack.filter((readers) => readers.length === 1)) {
      const trust = (reader?.Properties['AssumeRolePolicyDocument'] as { Statement: Statement[] }).Statement;
      expect(
        trust.every(
          (statement) =>
            statement.Action === 'sts:AssumeRole' && statement.Effect === 'Allow' && statement.Condition === undefined,
        ),
      ).toBe(true);
      expect((trust.flatMap((statement) => list(statement.Principal?.AWS)) as string[]).sort()).toEqual(
        [...healthRoleArns].sort(),
      );
      const actions = (reader?.Properties['Policies'] as { PolicyDocument: { Statement: Statement[] } }[])
        .flatMap((policy) => policy.PolicyDocument.Statement)
        .flatMap((statement) => list(statement.Action) as string[]);
      expect(actions.every((action) => /^(cloudwatch:(Describe|Get)|aps:(Query|Get))/u.test(action))).toBe(true);
    }
  });

  it('names the health function roles as the readers trust them, and lets only them assume the readers', () => {
    const namedRoles = Object.values(resourcesOf(controlPlane, 'AWS::IAM::Role'))
      .map((role) => role.Properties['RoleName'])
      .filter((name) => typeof name === 'string');
    expect(namedRoles.sort()).toEqual([...healthRoleNames].sort());
    const assuming = policiesByRole(controlPlane).flatMap(({ roles, statements }) =>
      statements
        .filter((statement) => list(statement.Action).includes('sts:AssumeRole'))
        .map((statement) => ({ roles, resources: list(statement.Resource) })),
    );
    expect(assuming.flatMap(({ roles }) => roles).sort()).toEqual([...healthRoleNames].sort());
    for (const { resources } of assuming)
      expect(resources).toEqual([
        `arn:aws:iam::${HML}:role/FlightplanHealthReader`,
        `arn:aws:iam::${PROD}:role/FlightplanHealthReader`,
      ]);
    const cloudWatchReaders = policiesByRole(controlPlane).filter(({ statements }) =>
      statements.some((statement) => list(statement.Action).includes('cloudwatch:DescribeAlarms')),
    );
    expect(cloudWatchReaders).toEqual([]);
  });

  it('tells the health functions where each environment runs', () => {
    for (const id of HEALTH_FUNCTIONS) {
      controlPlane.hasResourceProperties('AWS::Lambda::Function', {
        Description: FUNCTIONS[id].module.declaration.description,
        Environment: {
          Variables: Match.objectLike({
            FLIGHTPLAN_WORKLOAD_ACCOUNTS: JSON.stringify(WORKLOAD_ACCOUNTS),
            FLIGHTPLAN_HEALTH_SOURCES: Match.anyValue(),
          }),
        },
      });
    }
  });

  it('tells the functions that take alarms and Argo CD news off the bus which account speaks for which environment', () => {
    for (const id of ['failBakeOnAlarm', 'recordArgoStatus'] as const) {
      controlPlane.hasResourceProperties('AWS::Lambda::Function', {
        Description: FUNCTIONS[id].module.declaration.description,
        Environment: {
          Variables: Match.objectLike({
            FLIGHTPLAN_WORKLOAD_ACCOUNTS: JSON.stringify(WORKLOAD_ACCOUNTS),
            FLIGHTPLAN_CONTROL_PLANE_ACCOUNT: CONTROL,
          }),
        },
      });
    }
  });

  it('synthesizes with no unacknowledged cdk-nag finding', () => {
    expect(() => built.app.synth()).not.toThrow();
  });
});

describe('one account (no flightplan:workloadAccounts)', () => {
  it('keeps the forwarding stacks in the control plane account, with no bus policy, reader role or assumed role', () => {
    const { controlPlane, forwarders } = buildApp(appWith({}));
    expect(forwarders.map((stack) => `${stack.stackName}@${stack.account}/${stack.region}`)).toEqual([
      `FlightplanAlarms-us-east-1@${CONTROL}/us-east-1`,
      `FlightplanAlarms-sa-east-1@${CONTROL}/sa-east-1`,
    ]);
    const template = Template.fromStack(controlPlane);
    template.resourceCountIs('AWS::Events::EventBusPolicy', 0);
    const assumeGrants = policiesByRole(template)
      .flatMap(({ statements }) => statements)
      .filter((statement) => list(statement.Action).includes('sts:AssumeRole'));
    expect(assumeGrants).toEqual([]);
    for (const stack of forwarders)
      Template.fromStack(stack).resourcePropertiesCountIs('AWS::IAM::Role', { RoleName: 'FlightplanHealthReader' }, 0);
  });

  it('refuses workload accounts that disagree with flightplan:accounts', () => {
    expect(() =>
      buildApp(
        appWith({
          'flightplan:workloadAccounts': {
            ...WORKLOAD_ACCOUNTS,
            hml: { account: '333333333333', regions: ['us-east-1'] },
          },
        }),
      ),
    ).toThrow('must name the same account');
  });
});

describe('flightplan:healthSources', () => {
  const secretArn = `arn:aws:secretsmanager:us-east-1:${CONTROL}:secret:flightplan/grafana-cloud-AbCdEf`;
  const sources = {
    hml: {
      type: 'prometheus',
      url: 'https://prometheus-prod-13-prod-us-east-0.grafana.net/api/prom',
      auth: { type: 'basic', secretArn },
    },
    prod: {
      type: 'prometheus',
      url: 'https://aps-workspaces.us-east-1.amazonaws.com/workspaces/ws-0123abcd-4567',
      auth: { type: 'sigv4', region: 'us-east-1' },
    },
  };

  it('hands the health functions their sources, the Prometheus secret to read, and PromQL on the AMP workspace', () => {
    const template = Template.fromStack(buildApp(appWith({ 'flightplan:healthSources': sources })).controlPlane);
    const gate = policiesByRole(template).flatMap(({ statements }) => statements);
    expect(gate).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ Action: 'secretsmanager:GetSecretValue', Resource: secretArn }),
        expect.objectContaining({
          Action: 'aps:QueryMetrics',
          Resource: `arn:aws:aps:us-east-1:${CONTROL}:workspace/ws-0123abcd-4567`,
        }),
      ]),
    );
    template.hasResourceProperties('AWS::Lambda::Function', {
      Description: FUNCTIONS.runHealthGate.module.declaration.description,
      Environment: {
        Variables: Match.objectLike({ FLIGHTPLAN_HEALTH_SOURCES: Match.stringLikeRegexp('"type":"sigv4"') }),
      },
    });
  });

  it('refuses a source it does not know at synth', () => {
    expect(() => buildApp(appWith({ 'flightplan:healthSources': { prod: { type: 'datadog' } } }))).toThrow();
  });
});
