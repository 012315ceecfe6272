import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  ArnFormat,
  CfnOutput,
  Duration,
  RemovalPolicy,
  Stack,
  Validations,
  type CfnResource,
  type StackProps,
} from 'aws-cdk-lib';
import { AccessLogFormat } from 'aws-cdk-lib/aws-apigateway';
import type { CfnStage } from 'aws-cdk-lib/aws-apigatewayv2';
import { CorsHttpMethod, DomainName, HttpApi, HttpMethod, LogGroupLogDestination } from 'aws-cdk-lib/aws-apigatewayv2';
import { Certificate } from 'aws-cdk-lib/aws-certificatemanager';
import { HttpJwtAuthorizer } from 'aws-cdk-lib/aws-apigatewayv2-authorizers';
import { HttpLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import {
  Alarm,
  ComparisonOperator,
  Dashboard,
  GraphWidget,
  Metric,
  TreatMissingData,
} from 'aws-cdk-lib/aws-cloudwatch';
import { AttributeType, Billing, TableEncryptionV2, TableV2 } from 'aws-cdk-lib/aws-dynamodb';
import { EventBus, Rule } from 'aws-cdk-lib/aws-events';
import { LambdaFunction } from 'aws-cdk-lib/aws-events-targets';
import { Effect, PolicyStatement, Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { Key } from 'aws-cdk-lib/aws-kms';
import { Architecture, Runtime, Tracing } from 'aws-cdk-lib/aws-lambda';
import { SqsDestination } from 'aws-cdk-lib/aws-lambda-destinations';
import { NodejsFunction, OutputFormat } from 'aws-cdk-lib/aws-lambda-nodejs';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Secret } from 'aws-cdk-lib/aws-secretsmanager';
import { Queue, QueueEncryption } from 'aws-cdk-lib/aws-sqs';
import { DefinitionBody, LogLevel, StateMachine, StateMachineType } from 'aws-cdk-lib/aws-stepfunctions';
import type { Construct } from 'constructs';
import type { TableDesign } from '../../functions/adapters/aws/table-design.js';
import type { StateMachineName } from '../../functions/ports/index.js';
import { FUNCTIONS, ROUTES, RULES, STATE_MACHINES, TABLES, functionPlaceholder, type FunctionId } from '../system.js';
import { writeFunctionEntry } from './function-entries.js';
import { grantPorts } from './port-grants.js';
import { DEFAULT_INGRESS_LIMITS, type FlightplanSettings, type IngressFunction, type TracingMode } from './settings.js';
import {
  HEALTH_FUNCTIONS,
  allowWorkloadAccountsOnBus,
  healthFunctionRoleName,
  workloadAccountIds,
} from './workload-accounts.js';
import { METRICS_NAMESPACE } from '../../functions/adapters/aws/powertools-metrics.js';
import { ENV } from '../../functions/config.js';

const REPOSITORY_ROOT = join(import.meta.dirname, '..', '..');

/** A fixed name: stacks in other regions address the bus by ARN, and CloudFormation cannot import across regions. */
export const BUS_NAME = 'flightplan';

const adapterModule = (file: string) => join(REPOSITORY_ROOT, 'functions', 'adapters', 'aws', file);

/**
 * How every function is bundled. The artifact tests read the result from cdk.out, and bundle errors.ts exactly so.
 *
 * The AWS SDK is bundled (pinned by package-lock.json, tree-shaken, minified) rather than left to
 * the one the runtime happens to carry: a bundle then runs the SDK the tests ran, and a cold start
 * reads one file instead of hundreds (README, "How the SDK ships", has the figures). The SDK's
 * default credential chain is replaced by the environment provider that Lambda needs; its
 * event-stream serde, which no function uses, by a module that says so; and `node:process` and
 * `process` by the global `process`, since Node's module wrapper for it runs every getter of
 * `process`. yaml comes as its ES module build, the same code as its CommonJS one, which esbuild
 * can scope-hoist and tree-shake.
 */
export const FUNCTION_BUNDLING = {
  format: OutputFormat.ESM,
  minify: true,
  sourceMap: true,
  // A stack trace needs only the mappings, and the map is read whole when a stack is first
  // formatted: the sources were two thirds of it.
  sourcesContent: false,
  target: 'node22',
  mainFields: ['module', 'main'],
  banner: "import { createRequire } from 'module'; const require = createRequire(import.meta.url);",
  bundleAwsSDK: true,
  esbuildArgs: {
    '--alias': [
      `@aws-sdk/credential-provider-node=${adapterModule('lambda-credentials.ts')}`,
      `@smithy/core/event-streams=${adapterModule('no-event-streams.ts')}`,
      `node:process=${adapterModule('node-process.cts')}`,
      `process=${adapterModule('node-process.cts')}`,
      // Its "node" export is the CommonJS build, whose 60 module wrappers each cold start ran.
      `yaml=${join(REPOSITORY_ROOT, 'node_modules', 'yaml', 'browser', 'dist', 'index.js')}`,
    ],
  },
};

/** With `flightplan:tracing: invocations`, Powertools Tracer's place is taken by a tracer that adds nothing. */
export const UNTRACED_ALIAS = `@aws-lambda-powertools/tracer=${adapterModule('untraced.ts')}`;

export function functionBundling(tracing: TracingMode): typeof FUNCTION_BUNDLING {
  if (tracing === 'aws-calls') return FUNCTION_BUNDLING;
  return {
    ...FUNCTION_BUNDLING,
    esbuildArgs: { '--alias': [...FUNCTION_BUNDLING.esbuildArgs['--alias'], UNTRACED_ALIAS] },
  };
}

export interface ControlPlaneStackProps extends StackProps {
  settings: FlightplanSettings;
}

/**
 * Flightplan's control plane in the home region, built from `infra/system.ts`: the same
 * functions, routes, rules, state machines and tables the local runtime runs.
 */
export class ControlPlaneStack extends Stack {
  readonly bus: EventBus;
  readonly functions = {} as Record<FunctionId, NodejsFunction>;
  /** The base URL of the HTTP API, for the console's configuration. */
  readonly apiUrl: string;

  constructor(scope: Construct, id: string, props: ControlPlaneStackProps) {
    super(scope, id, props);
    const { settings } = props;
    const key = new Key(this, 'DataKey', {
      enableKeyRotation: true,
      description: 'Flightplan tables, queues, secrets and workflow logs',
      removalPolicy: RemovalPolicy.RETAIN,
    });
    // CloudWatch Logs encrypts the workflow log groups with this key, for log groups of this account and region only.
    key.addToResourcePolicy(
      new PolicyStatement({
        effect: Effect.ALLOW,
        principals: [new ServicePrincipal(`logs.${this.region}.amazonaws.com`)],
        actions: ['kms:Encrypt*', 'kms:Decrypt*', 'kms:ReEncrypt*', 'kms:GenerateDataKey*', 'kms:Describe*'],
        resources: ['*'],
        conditions: {
          ArnLike: { 'kms:EncryptionContext:aws:logs:arn': `arn:aws:logs:${this.region}:${this.account}:log-group:*` },
        },
      }),
    );

    const mainTable = this.table('Table', TABLES.main, key);
    const idempotencyTable = this.table('IdempotencyTable', TABLES.idempotency, key);

    this.bus = new EventBus(this, 'Bus', { eventBusName: BUS_NAME });
    // Forwarded alarms and Argo CD changes keep their workload account: archived as well.
    this.bus.archive('Archive', {
      eventPattern: { account: [...new Set([this.account, ...workloadAccountIds(settings)])] },
      retention: Duration.days(90),
      description: 'Replay Flightplan events',
    });
    allowWorkloadAccountsOnBus(this.bus, settings);

    const secrets = {
      githubWebhookSecret: new Secret(this, 'GithubWebhookSecret', {
        description: 'GitHub webhook secret (X-Hub-Signature-256)',
        encryptionKey: key,
      }),
      argocdToken: new Secret(this, 'ArgocdToken', {
        description: 'Bearer token argocd-notifications sends',
        encryptionKey: key,
      }),
      githubAppPrivateKey: new Secret(this, 'GithubAppPrivateKey', {
        description: 'GitHub App private key (PEM) for GitOps commits',
        encryptionKey: key,
      }),
      slackBotToken: new Secret(this, 'SlackBotToken', {
        description: 'Slack bot token (xoxb-) for chat.postMessage and chat.update',
        encryptionKey: key,
      }),
      slackSigningSecret: new Secret(this, 'SlackSigningSecret', {
        description: 'Slack signing secret for /slack/interactions (v0 signatures)',
        encryptionKey: key,
      }),
      // Nobody sets this one: it only has to stay unknown. Rotating it ends the cursors handed out.
      cursorKey: new Secret(this, 'CursorKey', {
        description: 'Key the portal API seals its list cursors with (AES-256-GCM); generated, never set by hand',
        encryptionKey: key,
        generateSecretString: { passwordLength: 64, excludePunctuation: true },
      }),
    };

    for (const [functionId, spec] of Object.entries(FUNCTIONS) as [FunctionId, (typeof FUNCTIONS)[FunctionId]][]) {
      const logGroup = new LogGroup(this, `${functionId}Logs`, {
        retention: RetentionDays.ONE_MONTH,
        removalPolicy: RemovalPolicy.DESTROY,
      });
      // Our own role instead of AWSLambdaBasicExecutionRole: it may write to this function's log group only.
      // Health functions have fixed names when workload accounts trust them by ARN.
      const roleName =
        settings.workloadAccounts && HEALTH_FUNCTIONS.includes(functionId)
          ? { roleName: healthFunctionRoleName(functionId, settings.homeRegion) }
          : {};
      const role = new Role(this, `${functionId}Role`, {
        assumedBy: new ServicePrincipal('lambda.amazonaws.com'),
        description: `Flightplan ${functionId}`,
        ...roleName,
      });
      logGroup.grantWrite(role);
      this.functions[functionId] = new NodejsFunction(this, functionId, {
        role,
        entry: writeFunctionEntry(functionId),
        handler: 'handler',
        description: spec.module.declaration.description,
        runtime: Runtime.NODEJS_22_X,
        architecture: Architecture.ARM_64,
        memorySize: spec.memoryMb,
        ...reservedConcurrencyOf(functionId, spec, settings),
        timeout: Duration.seconds(spec.timeoutSeconds),
        tracing: Tracing.ACTIVE,
        logGroup,
        environment: {
          POWERTOOLS_SERVICE_NAME: 'flightplan',
          POWERTOOLS_LOG_LEVEL: 'INFO',
          // No --enable-source-maps: each bundle maps its own stacks, and reads its map only when it
          // formats one (functions/adapters/aws/source-mapped-stacks.ts).
        },
        bundling: functionBundling(settings.tracing),
      });
    }

    for (const [name, spec] of Object.entries(STATE_MACHINES) as [
      StateMachineName,
      (typeof STATE_MACHINES)[StateMachineName],
    ][]) {
      const definition = readFileSync(join(REPOSITORY_ROOT, spec.definitionFile), 'utf8');
      const stateMachine = new StateMachine(this, `${name}StateMachine`, {
        stateMachineName: stateMachineName(name),
        stateMachineType: StateMachineType.STANDARD,
        definitionBody: DefinitionBody.fromString(definition),
        definitionSubstitutions: {
          ...Object.fromEntries(
            spec.steps.map((step) => [functionPlaceholder(step), this.functions[step].functionArn]),
          ),
          ...Object.fromEntries(
            Object.entries(spec.stateMachineSubstitutions ?? {}).map(([placeholder, child]) => [
              placeholder,
              this.stateMachineArn(child),
            ]),
          ),
        },
        tracingEnabled: true,
        // Execution data is logged in full for operators, so the log group is encrypted with the
        // data key: reading it takes kms:Decrypt as well as logs:GetLogEvents. No secret passes
        // through a workflow (functions read them from Secrets Manager); task tokens are the only
        // credentials in execution data, and using one also takes states:SendTask* on that machine.
        logs: {
          destination: new LogGroup(this, `${name}StateMachineLogs`, {
            retention: RetentionDays.ONE_MONTH,
            encryptionKey: key,
          }),
          level: LogLevel.ALL,
          includeExecutionData: true,
        },
      });
      for (const step of new Set(spec.steps)) this.functions[step].grantInvoke(stateMachine);
      for (const child of new Set(Object.values(spec.stateMachineSubstitutions ?? {}))) {
        // What startExecution.sync:2 needs: start the child, follow it, and the managed rule that reports its end.
        stateMachine.addToRolePolicy(
          new PolicyStatement({
            effect: Effect.ALLOW,
            actions: ['states:StartExecution'],
            resources: [this.stateMachineArn(child)],
          }),
        );
        stateMachine.addToRolePolicy(
          new PolicyStatement({
            effect: Effect.ALLOW,
            actions: ['states:DescribeExecution', 'states:StopExecution'],
            resources: [`${this.stateMachineArn(child).replace(':stateMachine:', ':execution:')}:*`],
          }),
        );
        stateMachine.addToRolePolicy(
          new PolicyStatement({
            effect: Effect.ALLOW,
            actions: ['events:PutTargets', 'events:PutRule', 'events:DescribeRule'],
            resources: [
              this.formatArn({
                service: 'events',
                resource: 'rule',
                resourceName: 'StepFunctionsGetEventsForStepFunctionsExecutionRule',
              }),
            ],
          }),
        );
      }
    }

    const grantContext = {
      mainTable,
      idempotencyTable,
      bus: this.bus,
      secrets,
      settings,
      imageRegistry: `${this.account}.dkr.ecr.${this.region}.amazonaws.com`,
      ecrRepositories: `arn:aws:ecr:${this.region}:${this.account}:repository/*`,
      stateMachineArn: (name: StateMachineName) => this.stateMachineArn(name),
    };
    for (const [functionId, spec] of Object.entries(FUNCTIONS) as [FunctionId, (typeof FUNCTIONS)[FunctionId]][]) {
      grantPorts(this.functions[functionId], spec.module.declaration, grantContext);
    }

    for (const rule of RULES) {
      const deadLetterQueue = new Queue(this, `${rule.name}DeadLetters`, {
        encryption: QueueEncryption.KMS,
        encryptionMasterKey: key,
        retentionPeriod: Duration.days(14),
        enforceSSL: true,
      });
      // Step Functions' own events arrive on the default bus; ours on the Flightplan bus.
      new Rule(this, rule.name, {
        ...(rule.bus === 'default' ? {} : { eventBus: this.bus }),
        description: rule.description,
        eventPattern: toCdkPattern(rule.pattern),
      }).addTarget(
        new LambdaFunction(this.functions[rule.target], {
          deadLetterQueue,
          retryAttempts: 185,
          maxEventAge: Duration.hours(24),
        }),
      );
      new Alarm(this, `${rule.name}DeadLettersAlarm`, {
        alarmDescription: `Events for ${rule.name} could not be delivered to ${rule.target}`,
        metric: deadLetterQueue.metricApproximateNumberOfMessagesVisible({ period: Duration.minutes(1) }),
        threshold: 0,
        comparisonOperator: ComparisonOperator.GREATER_THAN_THRESHOLD,
        evaluationPeriods: 1,
        treatMissingData: TreatMissingData.NOT_BREACHING,
      });
    }

    this.addAsyncFailureDestinations(key);

    const api = new HttpApi(this, 'Api', {
      apiName: 'flightplan',
      description: 'Flightplan webhooks and portal API',
      createDefaultStage: false,
      // The console calls /v1 from its CloudFront origin with a bearer token (no cookies).
      corsPreflight: {
        allowOrigins: ['*'],
        allowMethods: [CorsHttpMethod.GET, CorsHttpMethod.POST],
        allowHeaders: ['authorization', 'content-type', 'idempotency-key'],
        maxAge: Duration.hours(1),
      },
    });
    // Optional: a stable name (api.flightplan.example.com) instead of the generated endpoint. The
    // certificate is an ACM certificate in the home region; the DNS record pointing the name at
    // the RegionalDomainName output stays with whoever owns the zone.
    const domain = settings.customDomain
      ? new DomainName(this, 'ApiDomain', {
          domainName: settings.customDomain.name,
          certificate: Certificate.fromCertificateArn(this, 'ApiCertificate', settings.customDomain.certificateArn),
        })
      : undefined;
    const stage = api.addStage('DefaultStage', {
      ...(domain ? { domainMapping: { domainName: domain } } : {}),
      stageName: '$default',
      autoDeploy: true,
      // Each route has its own limits (below); this is the default of a route without them.
      throttle: { rateLimit: 100, burstLimit: 200 },
      accessLogSettings: {
        destination: new LogGroupLogDestination(
          new LogGroup(this, 'ApiAccessLogs', { retention: RetentionDays.THREE_MONTHS }),
        ),
        format: AccessLogFormat.custom(JSON.stringify(API_ACCESS_LOG_FIELDS)),
      },
    });
    // HTTP APIs throttle each route on its own token bucket: a webhook flood is refused on its
    // route and leaves /slack/interactions and /v1 their own requests. CDK's HttpStage has no
    // per-route settings, so they go on the CloudFormation stage, keyed by route key.
    (stage.node.defaultChild as CfnStage).routeSettings = Object.fromEntries(
      ROUTES.map((route) => {
        const { rateLimit, burstLimit } = settings.ingressLimits[ingressFunctionOf(route.function)];
        return [`${route.method} ${route.path}`, { ThrottlingRateLimit: rateLimit, ThrottlingBurstLimit: burstLimit }];
      }),
    );
    const jwt = new HttpJwtAuthorizer('Keycloak', settings.jwtIssuer, { jwtAudience: [settings.jwtAudience] });
    // A verified token's groups name teams only under this parent (functions/domain/identity.ts).
    for (const id of new Set(ROUTES.filter((route) => route.auth === 'jwt').map((route) => route.function)))
      this.functions[id].addEnvironment(ENV.teamGroupParent, settings.teamGroupParent);
    const integrations = new Map<FunctionId, HttpLambdaIntegration>();
    for (const route of ROUTES) {
      let integration = integrations.get(route.function);
      if (!integration) {
        integration = new HttpLambdaIntegration(`${route.function}Integration`, this.functions[route.function]);
        integrations.set(route.function, integration);
      }
      // The stage's route settings name the routes, which must exist first.
      for (const added of api.addRoutes({
        path: route.path,
        methods: [HttpMethod[route.method]],
        integration,
        ...(route.auth === 'jwt' ? { authorizer: jwt } : {}),
      }))
        stage.node.addDependency(added);
    }

    this.addDashboard(...Object.keys(STATE_MACHINES).map((name) => stateMachineName(name as StateMachineName)));

    this.apiUrl = domain ? `https://${domain.name}` : api.apiEndpoint;
    new CfnOutput(this, 'ApiUrl', {
      value: this.apiUrl,
      description: 'Base URL: point GitHub, Argo CD and the portal here',
    });
    if (domain)
      new CfnOutput(this, 'RegionalDomainName', {
        value: domain.regionalDomainName,
        description: `Point ${domain.name} here (CNAME or alias)`,
      });
    new CfnOutput(this, 'BusName', { value: this.bus.eventBusName });
    this.acknowledgeNagFindings(mainTable, idempotencyTable);
  }

  /**
   * EventBridge invokes rule targets asynchronously: the rule's DLQ only catches events it could
   * not deliver. An invocation that throws is retried by Lambda and then, without a destination,
   * dropped. Every rule target therefore sends its failed invocations (the event, the error) to
   * an encrypted queue with a depth alarm; README, "Redriving failed events", says how to replay.
   */
  private addAsyncFailureDestinations(key: Key): void {
    for (const functionId of new Set(RULES.map((rule) => rule.target))) {
      const failures = new Queue(this, `${functionId}FailedInvocations`, {
        encryption: QueueEncryption.KMS,
        encryptionMasterKey: key,
        retentionPeriod: Duration.days(14),
        enforceSSL: true,
      });
      this.functions[functionId].configureAsyncInvoke({
        onFailure: new SqsDestination(failures),
        retryAttempts: 2,
        maxEventAge: Duration.hours(6),
      });
      new Alarm(this, `${functionId}FailedInvocationsAlarm`, {
        alarmDescription: `${functionId} failed on an event after Lambda's retries; redrive it from the queue (README, "Redriving failed events")`,
        metric: failures.metricApproximateNumberOfMessagesVisible({ period: Duration.minutes(1) }),
        threshold: 0,
        comparisonOperator: ComparisonOperator.GREATER_THAN_THRESHOLD,
        evaluationPeriods: 1,
        treatMissingData: TreatMissingData.NOT_BREACHING,
      });
      new CfnOutput(this, `${functionId}FailedInvocationsQueueUrl`, {
        value: failures.queueUrl,
        description: `Failed asynchronous invocations of ${functionId}`,
      });
    }
  }

  /** What an operator looks at first: executions, failures, dead letters, ingress errors. */
  private addDashboard(...stateMachineNames: string[]): void {
    const dashboard = new Dashboard(this, 'Dashboard', { dashboardName: 'flightplan' });
    const executions = (metricName: string, name: string) =>
      new Metric({
        namespace: 'AWS/States',
        metricName,
        dimensionsMap: {
          StateMachineArn: this.formatArn({
            service: 'states',
            resource: 'stateMachine',
            resourceName: name,
            arnFormat: ArnFormat.COLON_RESOURCE_NAME,
          }),
        },
        statistic: 'Sum',
        period: Duration.minutes(5),
      });
    dashboard.addWidgets(
      ...stateMachineNames.map(
        (name) =>
          new GraphWidget({
            title: `${name}: executions`,
            left: [
              'ExecutionsStarted',
              'ExecutionsSucceeded',
              'ExecutionsFailed',
              'ExecutionsAborted',
              'ExecutionsTimedOut',
            ].map((metric) => executions(metric, name)),
          }),
      ),
      new GraphWidget({
        title: 'Deployments ended, by status',
        left: ['SUCCEEDED', 'ROLLED_BACK', 'FAILED', 'REJECTED', 'ABORTED', 'SUPERSEDED'].map(
          (status) =>
            new Metric({
              namespace: METRICS_NAMESPACE,
              metricName: 'DeploymentsEnded',
              dimensionsMap: { Environment: 'prod', Status: status, service: 'flightplan' },
              statistic: 'Sum',
              period: Duration.hours(1),
            }),
        ),
      }),
      new GraphWidget({
        title: 'Rollbacks (prod)',
        left: [
          new Metric({
            namespace: METRICS_NAMESPACE,
            metricName: 'Rollbacks',
            dimensionsMap: { Environment: 'prod', service: 'flightplan' },
            statistic: 'Sum',
            period: Duration.hours(1),
          }),
        ],
      }),
      new GraphWidget({
        title: 'Approval latency (prod deploys)',
        left: [
          new Metric({
            namespace: METRICS_NAMESPACE,
            metricName: 'ApprovalLatency',
            dimensionsMap: { Policy: 'prod-deploy', Outcome: 'APPROVED', service: 'flightplan' },
            statistic: 'p90',
            period: Duration.hours(1),
          }),
        ],
      }),
      new GraphWidget({
        title: 'Function errors',
        left: Object.values(this.functions).map((fn) => fn.metricErrors({ period: Duration.minutes(5) })),
      }),
      new GraphWidget({
        title: 'Function duration p99',
        left: Object.values(this.functions).map((fn) =>
          fn.metricDuration({ period: Duration.minutes(5), statistic: 'p99' }),
        ),
      }),
    );
    // Rolled back, failed and rejected deployments all end their execution FAILED: worth a look each time.
    new Alarm(this, 'DeploymentExecutionsFailedAlarm', {
      alarmDescription: 'A deployment execution failed (rolled back, rejected or broken): check the deployment record',
      metric: executions('ExecutionsFailed', stateMachineNames[0] ?? ''),
      threshold: 0,
      comparisonOperator: ComparisonOperator.GREATER_THAN_THRESHOLD,
      evaluationPeriods: 1,
      treatMissingData: TreatMissingData.NOT_BREACHING,
    });
  }

  /** cdk-nag AwsSolutions findings that are right for this design, each with the reason. */
  private acknowledgeNagFindings(...tables: TableV2[]): void {
    const acknowledge = (id: string, reason: string) => {
      Validations.of(this).acknowledge({ id, reason });
    };
    const logicalId = (resource: CfnResource) => this.getLogicalId(resource);
    acknowledge(
      'AwsSolutions-L1',
      'Lambda runtime is pinned to nodejs22.x by the platform standard; moving runtimes is a deliberate, tested change.',
    );
    acknowledge(
      'AwsSolutions-IAM5[Resource::*]',
      'X-Ray (PutTraceSegments), Step Functions log delivery and CloudWatch DescribeAlarms/GetMetricData have no resource-level permissions.',
    );
    acknowledge(
      'AwsSolutions-IAM5[Action::kms:ReEncrypt*]',
      "CDK's KMS grant for the stack's one customer-managed key; scoped to that key.",
    );
    acknowledge(
      'AwsSolutions-IAM5[Action::kms:GenerateDataKey*]',
      "CDK's KMS grant for the stack's one customer-managed key; scoped to that key.",
    );
    for (const table of tables) {
      acknowledge(
        `AwsSolutions-IAM5[Resource::<${logicalId(table.node.defaultChild as CfnResource)}.Arn>/index/*]`,
        "Queries on this table's own global secondary indexes.",
      );
    }
    for (const fn of Object.values(this.functions)) {
      acknowledge(
        `AwsSolutions-IAM5[Resource::<${logicalId(fn.node.defaultChild as CfnResource)}.Arn>:*]`,
        'Step Functions may invoke any version of the functions its definition names.',
      );
    }
    acknowledge(
      `AwsSolutions-IAM5[Resource::arn:aws:ecr:${this.region}:${this.account}:repository/*]`,
      'Every catalogued service has its own ECR repository; DescribeImages only.',
    );
    acknowledge(
      `AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:states:${this.region}:${this.account}:execution:${stateMachineName('approval')}:*]`,
      'The deployment workflow follows the approval executions it starts (startExecution.sync); their names are generated.',
    );
    acknowledge(
      `AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:states:${this.region}:${this.account}:execution:${stateMachineName('deployment')}:*]`,
      "The portal API shows any deployment execution and its history (the CLI and the console), and the lock asks whether its holder's execution still runs (DescribeExecution, GetExecutionHistory); execution names are per deployment.",
    );
    acknowledge(
      'AwsSolutions-SQS3',
      'These queues are the dead-letter queues of the bus rules and the on-failure destinations of their targets; each has a depth alarm.',
    );
    acknowledge(
      'AwsSolutions-SMG4',
      'Third-party credentials (GitHub, Slack, Argo CD) are rotated by their issuers, not by a Lambda; see README.',
    );
    acknowledge(
      'AwsSolutions-APIG4',
      'Webhook routes are authenticated in the handler (GitHub and Slack signatures, Argo CD bearer token); /v1 uses the JWT authorizer.',
    );
  }

  private stateMachineArn(name: StateMachineName): string {
    return this.formatArn({
      service: 'states',
      resource: 'stateMachine',
      resourceName: stateMachineName(name),
      arnFormat: ArnFormat.COLON_RESOURCE_NAME,
    });
  }

  private table(id: string, design: TableDesign, key: Key): TableV2 {
    return new TableV2(this, id, {
      partitionKey: { name: design.partitionKey, type: AttributeType.STRING },
      ...(design.sortKey ? { sortKey: { name: design.sortKey, type: AttributeType.STRING } } : {}),
      globalSecondaryIndexes: design.indexes.map((index) => ({
        indexName: index.name,
        partitionKey: { name: index.partitionKey, type: AttributeType.STRING },
        sortKey: { name: index.sortKey, type: AttributeType.STRING },
      })),
      billing: Billing.onDemand(),
      encryption: TableEncryptionV2.customerManagedKey(key),
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      deletionProtection: true,
      removalPolicy: RemovalPolicy.RETAIN,
      ...(design.timeToLiveAttribute ? { timeToLiveAttribute: design.timeToLiveAttribute } : {}),
    });
  }
}

const stateMachineName = (name: StateMachineName): string => `flightplan-${name}`;

/**
 * One JSON line per request: which route answered what, and who asked: the JWT's `sub` once the
 * authorizer accepted the token, or the authorizer's reason when it refused it.
 */
export const API_ACCESS_LOG_FIELDS = {
  requestId: '$context.requestId',
  requestTime: '$context.requestTime',
  sourceIp: '$context.identity.sourceIp',
  routeKey: '$context.routeKey',
  status: '$context.status',
  sub: '$context.authorizer.claims.sub',
  authorizerError: '$context.authorizer.error',
  integrationError: '$context.integrationErrorMessage',
  responseLength: '$context.responseLength',
  responseLatencyMs: '$context.responseLatency',
} as const;

const isIngressFunction = (id: FunctionId): id is IngressFunction => id in DEFAULT_INGRESS_LIMITS;

function ingressFunctionOf(id: FunctionId): IngressFunction {
  if (!isIngressFunction(id)) throw new Error(`${id} serves a route but has no flightplan:ingressLimits entry`);
  return id;
}

/** Ingress functions reserve what flightplan:ingressLimits says; others what the system declares. */
function reservedConcurrencyOf(
  id: FunctionId,
  spec: (typeof FUNCTIONS)[FunctionId],
  settings: FlightplanSettings,
): { reservedConcurrentExecutions?: number } {
  if (isIngressFunction(id)) {
    const reserved = settings.ingressLimits[id].reservedConcurrency;
    return reserved === null ? {} : { reservedConcurrentExecutions: reserved };
  }
  return 'reservedConcurrency' in spec ? { reservedConcurrentExecutions: spec.reservedConcurrency } : {};
}

/** The events/ patterns use EventBridge's JSON names; CDK's EventPattern wants detailType. */
function toCdkPattern(pattern: object): Record<string, unknown> {
  const { 'detail-type': detailType, ...rest } = pattern as Record<string, unknown>;
  return { ...rest, ...(detailType ? { detailType } : {}) };
}
