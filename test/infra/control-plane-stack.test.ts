import { App } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../infra/aws/app.js';
import { FUNCTIONS, ROUTES, RULES, STATE_MACHINES } from '../../infra/system.js';
import cdkJson from '../../cdk.json' with { type: 'json' };

let template: Template;

beforeAll(() => {
  // Bundling is exercised by `cdk synth` in npm test; assertions only need the template.
  const app = new App({ context: { ...cdkJson.context, 'aws:cdk:bundling-stacks': [] } });
  template = Template.fromStack(buildApp(app).controlPlane);
});

const resourcesOf = (type: string) =>
  Object.values(template.findResources(type)) as { Properties: Record<string, unknown> }[];

describe('ControlPlaneStack', () => {
  it('creates one arm64 nodejs22.x function per declared function, with tracing', () => {
    const functions = resourcesOf('AWS::Lambda::Function').filter(
      (resource) => resource.Properties['Runtime'] === 'nodejs22.x',
    );
    expect(functions).toHaveLength(Object.keys(FUNCTIONS).length);
    for (const fn of functions) {
      expect(fn.Properties['Architectures']).toEqual(['arm64']);
      expect(fn.Properties['TracingConfig']).toEqual({ Mode: 'Active' });
    }
  });

  it('creates a Standard state machine per workflow and tells each function only the state machines it starts or signals', () => {
    expect(resourcesOf('AWS::StepFunctions::StateMachine')).toHaveLength(Object.keys(STATE_MACHINES).length);
    const variablesOf = (id: keyof typeof FUNCTIONS) => {
      const fn = resourcesOf('AWS::Lambda::Function').find(
        (resource) => resource.Properties['Description'] === FUNCTIONS[id].module.declaration.description,
      );
      return ((fn?.Properties['Environment'] ?? {}) as { Variables?: Record<string, unknown> }).Variables ?? {};
    };
    expect(Object.keys(variablesOf('startProvisioning'))).toContain('FLIGHTPLAN_PROVISIONING_STATE_MACHINE_ARN');
    expect(Object.keys(variablesOf('startProvisioning'))).not.toContain('FLIGHTPLAN_DEPLOYMENT_STATE_MACHINE_ARN');
    expect(Object.keys(variablesOf('startServiceCreation'))).toEqual(
      expect.arrayContaining(['FLIGHTPLAN_SERVICE_CREATION_STATE_MACHINE_ARN']),
    );
    expect(variablesOf('openProvisioningPullRequest')).toMatchObject({
      FLIGHTPLAN_TERRAFORM_REPOSITORY: 'acme/terraform-live',
      FLIGHTPLAN_ACCOUNTS: JSON.stringify({ hml: '111111111111', prod: '222222222222' }),
      FLIGHTPLAN_GITHUB_APP_ID: '123456',
    });
    expect(Object.keys(variablesOf('openProvisioningPullRequest'))).toContain(
      'FLIGHTPLAN_GITHUB_APP_PRIVATE_KEY_SECRET_ARN',
    );
  });

  it('serves the API on a custom domain when one is configured, and refuses half a configuration', () => {
    const certificateArn = 'arn:aws:acm:us-east-1:123456789012:certificate/0b1c2d3e-0000-4000-8000-000000000000';
    const withDomain = new App({
      context: {
        ...cdkJson.context,
        'aws:cdk:bundling-stacks': [],
        'flightplan:domainName': 'flightplan.example.com',
        'flightplan:certificateArn': certificateArn,
      },
    });
    const domainTemplate = Template.fromStack(buildApp(withDomain).controlPlane);
    domainTemplate.hasResourceProperties('AWS::ApiGatewayV2::DomainName', {
      DomainName: 'flightplan.example.com',
      DomainNameConfigurations: [Match.objectLike({ CertificateArn: certificateArn })],
    });
    domainTemplate.resourceCountIs('AWS::ApiGatewayV2::ApiMapping', 1);
    expect(template.findResources('AWS::ApiGatewayV2::DomainName')).toEqual({});
    const halfConfigured = new App({
      context: { ...cdkJson.context, 'aws:cdk:bundling-stacks': [], 'flightplan:domainName': 'flightplan.example.com' },
    });
    expect(() => buildApp(halfConfigured)).toThrow('go together');
  });

  it.each([
    ['flightplan:githubAppId', '000000'],
    ['flightplan:githubAppInstallationId', '00000000'],
    ['flightplan:githubAppInstallationId', 'my-installation'],
  ])('refuses %s = "%s" at synth: Octokit reads App ids as numbers and refuses 0', (key, value) => {
    const app = new App({ context: { ...cdkJson.context, 'aws:cdk:bundling-stacks': [], [key]: value } });
    expect(() => buildApp(app)).toThrow(`${key} must be the GitHub App's numeric id`);
  });

  it('refuses a flightplan:tracing that is neither aws-calls nor invocations, at synth', () => {
    const app = new App({
      context: { ...cdkJson.context, 'aws:cdk:bundling-stacks': [], 'flightplan:tracing': 'sometimes' },
    });
    expect(() => buildApp(app)).toThrow('flightplan:tracing must be aws-calls or invocations, got "sometimes"');
  });

  it('tells the function behind the JWT routes which Keycloak group holds the teams, and refuses a malformed one', () => {
    const portalApi = resourcesOf('AWS::Lambda::Function').find(
      (resource) => resource.Properties['Description'] === FUNCTIONS.portalApi.module.declaration.description,
    );
    expect(portalApi?.Properties['Environment']).toMatchObject({ Variables: { FLIGHTPLAN_TEAM_GROUP_PARENT: '/' } });
    const nested = new App({
      context: { ...cdkJson.context, 'aws:cdk:bundling-stacks': [], 'flightplan:teamGroupParent': '/acme/teams' },
    });
    Template.fromStack(buildApp(nested).controlPlane).hasResourceProperties('AWS::Lambda::Function', {
      Description: FUNCTIONS.portalApi.module.declaration.description,
      Environment: { Variables: Match.objectLike({ FLIGHTPLAN_TEAM_GROUP_PARENT: '/acme/teams' }) },
    });
    const malformed = new App({
      context: { ...cdkJson.context, 'aws:cdk:bundling-stacks': [], 'flightplan:teamGroupParent': 'teams/' },
    });
    expect(() => buildApp(malformed)).toThrow(
      'CDK context flightplan:teamGroupParent must be a Keycloak group path such as / or /org',
    );
  });

  it('logs every workflow execution in full to log groups encrypted with the data key', () => {
    const machines = resourcesOf('AWS::StepFunctions::StateMachine');
    const logGroups = template.findResources('AWS::Logs::LogGroup');
    for (const machine of machines) {
      const logging = machine.Properties['LoggingConfiguration'] as {
        Level: string;
        IncludeExecutionData: boolean;
        Destinations: { CloudWatchLogsLogGroup: { LogGroupArn: { 'Fn::GetAtt': [string] } } }[];
      };
      expect(logging).toMatchObject({ Level: 'ALL', IncludeExecutionData: true });
      const logGroupId = logging.Destinations[0]?.CloudWatchLogsLogGroup.LogGroupArn['Fn::GetAtt'][0] ?? '';
      expect((logGroups[logGroupId] as { Properties: Record<string, unknown> }).Properties['KmsKeyId']).toBeDefined();
    }
  });

  it('keeps secrets out of environment variables: only Secrets Manager ARNs', () => {
    for (const fn of resourcesOf('AWS::Lambda::Function')) {
      const variables =
        ((fn.Properties['Environment'] ?? {}) as { Variables?: Record<string, unknown> }).Variables ?? {};
      for (const name of Object.keys(variables)) {
        expect(name).not.toMatch(/^FLIGHTPLAN_(GITHUB_WEBHOOK_SECRET|ARGOCD_TOKEN|SLACK_SIGNING_SECRET)$/u);
      }
    }
  });

  it('encrypts both tables with a customer key, with point-in-time recovery and deletion protection', () => {
    const tables = resourcesOf('AWS::DynamoDB::GlobalTable');
    expect(tables).toHaveLength(2);
    for (const table of tables) {
      expect(table.Properties['SSESpecification']).toMatchObject({ SSEEnabled: true, SSEType: 'KMS' });
      expect(table.Properties['Replicas']).toEqual([
        expect.objectContaining({
          PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
          DeletionProtectionEnabled: true,
        }),
      ]);
    }
  });

  it('routes every declared route, with the JWT authorizer on /v1 only', () => {
    for (const route of ROUTES) {
      template.hasResourceProperties('AWS::ApiGatewayV2::Route', {
        RouteKey: `${route.method} ${route.path}`,
        AuthorizationType: route.auth === 'jwt' ? 'JWT' : 'NONE',
      });
    }
    template.hasResourceProperties('AWS::ApiGatewayV2::Authorizer', {
      AuthorizerType: 'JWT',
      JwtConfiguration: { Audience: ['flightplan'], Issuer: Match.stringLikeRegexp('keycloak') },
    });
  });

  it('gives every rule target retries and an encrypted dead-letter queue with an alarm', () => {
    const rules = resourcesOf('AWS::Events::Rule');
    expect(rules).toHaveLength(RULES.length);
    for (const rule of rules) {
      const [target] = rule.Properties['Targets'] as {
        DeadLetterConfig?: unknown;
        RetryPolicy?: { MaximumRetryAttempts: number };
      }[];
      expect(target?.DeadLetterConfig).toBeDefined();
      expect(target?.RetryPolicy?.MaximumRetryAttempts).toBe(185);
    }
    expect(resourcesOf('AWS::SQS::Queue').every((queue) => queue.Properties['KmsMasterKeyId'] !== undefined)).toBe(
      true,
    );
    expect(resourcesOf('AWS::CloudWatch::Alarm').length).toBeGreaterThanOrEqual(RULES.length);
  });

  it('builds rule patterns from events/ unchanged', () => {
    template.hasResourceProperties('AWS::Events::Rule', {
      EventPattern: { source: ['flightplan.github', 'flightplan.portal'], 'detail-type': ['Deployment Requested'] },
    });
  });

  it('runs the deployment ASL as a Standard state machine with substituted function ARNs and full logging', () => {
    template.hasResourceProperties('AWS::StepFunctions::StateMachine', {
      StateMachineType: 'STANDARD',
      TracingConfiguration: { Enabled: true },
      LoggingConfiguration: Match.objectLike({ Level: 'ALL' }),
      DefinitionSubstitutions: Match.objectLike({
        AcquireDeploymentLockFunctionArn: Match.anyValue(),
        PlanRollbackFunctionArn: Match.anyValue(),
      }),
    });
  });

  it('archives the bus for replay', () => {
    template.resourceCountIs('AWS::Events::Archive', 1);
  });

  it('grants no wildcard actions on data', () => {
    const statements = resourcesOf('AWS::IAM::Policy').flatMap(
      (policy) => (policy.Properties['PolicyDocument'] as { Statement: { Action: string | string[] }[] }).Statement,
    );
    const actions = statements.flatMap((statement) =>
      Array.isArray(statement.Action) ? statement.Action : [statement.Action],
    );
    expect(actions.filter((action) => /^(dynamodb|sqs|events|states):\*$/u.test(action) || action === '*')).toEqual([]);
  });
});

describe('ControlPlaneStack: nothing asynchronous is dropped', () => {
  const functionLogicalId = (id: keyof typeof FUNCTIONS): string =>
    Object.entries(template.findResources('AWS::Lambda::Function')).find(
      ([, resource]) =>
        (resource as { Properties: Record<string, unknown> }).Properties['Description'] ===
        FUNCTIONS[id].module.declaration.description,
    )?.[0] ?? '';

  it.each([...new Set(RULES.map((rule) => rule.target))])(
    'sends failed asynchronous invocations of %s to an encrypted queue with a depth alarm',
    (target) => {
      const configs = Object.values(template.findResources('AWS::Lambda::EventInvokeConfig')) as {
        Properties: {
          FunctionName: { Ref: string };
          DestinationConfig?: { OnFailure?: { Destination: { 'Fn::GetAtt': [string, string] } } };
          MaximumRetryAttempts?: number;
        };
      }[];
      const config = configs.find((candidate) => candidate.Properties.FunctionName.Ref === functionLogicalId(target));
      expect(config?.Properties.MaximumRetryAttempts).toBe(2);
      const queueId = config?.Properties.DestinationConfig?.OnFailure?.Destination['Fn::GetAtt'][0] ?? '';
      const queue = template.findResources('AWS::SQS::Queue')[queueId] as
        { Properties: Record<string, unknown> } | undefined;
      expect(queue?.Properties['KmsMasterKeyId']).toBeDefined();
      const alarms = resourcesOf('AWS::CloudWatch::Alarm').filter(
        (alarm) =>
          JSON.stringify(alarm.Properties['Dimensions'] ?? []).includes(queueId) &&
          alarm.Properties['MetricName'] === 'ApproximateNumberOfMessagesVisible',
      );
      expect(alarms).toHaveLength(1);
      expect(alarms[0]?.Properties).toMatchObject({ Threshold: 0, ComparisonOperator: 'GreaterThanThreshold' });
    },
  );

  it('lets the targets send to their own failure queue only', () => {
    const configs = Object.values(template.findResources('AWS::Lambda::EventInvokeConfig'));
    expect(configs).toHaveLength(new Set(RULES.map((rule) => rule.target)).size);
  });

  it('hears Step Functions execution status changes for the deployment state machine on the default bus', () => {
    const rule = resourcesOf('AWS::Events::Rule').find((candidate) =>
      JSON.stringify(candidate.Properties['EventPattern']).includes('aws.states'),
    );
    expect(rule?.Properties['EventBusName']).toBeUndefined();
    expect(rule?.Properties['EventPattern']).toMatchObject({
      source: ['aws.states'],
      detail: { status: ['ABORTED', 'TIMED_OUT'] },
    });
  });

  it('lets the lock step describe deployment executions, and nothing else', () => {
    const statements = resourcesOf('AWS::IAM::Policy').flatMap(
      (policy) =>
        (policy.Properties['PolicyDocument'] as { Statement: { Action: string | string[]; Resource: unknown }[] })
          .Statement,
    );
    const describes = statements.filter((statement) => statement.Action === 'states:DescribeExecution');
    expect(describes.length).toBeGreaterThan(0);
    for (const statement of describes)
      expect(JSON.stringify(statement.Resource)).toMatch(/execution:flightplan-(deployment|approval):\*/u);
  });
});

describe('cdk-nag AwsSolutions', () => {
  it('synthesizes the app with no unacknowledged finding', () => {
    const app = new App({ context: { ...cdkJson.context, 'aws:cdk:bundling-stacks': [] } });
    buildApp(app);
    expect(() => app.synth()).not.toThrow();
  });

  it('fails synthesis on a finding nobody acknowledged (the check really runs)', async () => {
    const { Stack, Validations } = await import('aws-cdk-lib');
    const { Queue } = await import('aws-cdk-lib/aws-sqs');
    const { AwsSolutionsChecks } = await import('cdk-nag');
    const app = new App();
    Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
    new Queue(new Stack(app, 'Careless', { env: { account: '123456789012', region: 'us-east-1' } }), 'PlainQueue');
    expect(() => app.synth()).toThrow();
  });
});

describe('WorkloadStack (one account)', () => {
  it('forwards alarm state changes from every workload region to the home bus, with a dead-letter queue', () => {
    const app = new App({ context: { ...cdkJson.context, 'aws:cdk:bundling-stacks': [] } });
    const { forwarders } = buildApp(app);
    expect(forwarders.map((stack) => stack.region)).toEqual(['us-east-1', 'sa-east-1']);
    for (const stack of forwarders) {
      // A literal ARN: an Fn::ImportValue would not deploy across regions.
      expect(JSON.stringify(Template.fromStack(stack).toJSON())).not.toContain('Fn::ImportValue');
      Template.fromStack(stack).hasResourceProperties('AWS::Events::Rule', {
        EventPattern: { source: ['aws.cloudwatch'], 'detail-type': ['CloudWatch Alarm State Change'] },
        Targets: [
          Match.objectLike({
            Arn: 'arn:aws:events:us-east-1:123456789012:event-bus/flightplan',
            DeadLetterConfig: Match.anyValue(),
          }),
        ],
      });
    }
  });
});
