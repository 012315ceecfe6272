import { Effect, PolicyStatement } from 'aws-cdk-lib/aws-iam';
import type { EventBus } from 'aws-cdk-lib/aws-events';
import type { NodejsFunction } from 'aws-cdk-lib/aws-lambda-nodejs';
import type { ISecret } from 'aws-cdk-lib/aws-secretsmanager';
import type { TableV2 } from 'aws-cdk-lib/aws-dynamodb';
import { deploymentChanged } from '../../events/deployment-changed.js';
import type { EventType } from '../../events/envelope.js';
import { ENV, STATE_MACHINE_ARN_VARIABLES } from '../../functions/config.js';
import type { FunctionDeclaration, PortName } from '../../functions/declaration.js';
import { CODE_HOST_SCOPES } from '../../functions/github-token-scopes.js';
import type { StateMachineName } from '../../functions/ports/index.js';
import type { FlightplanSettings } from './settings.js';
import { grantHealthReads } from './workload-accounts.js';

export type SecretId =
  'githubWebhookSecret' | 'argocdToken' | 'githubAppPrivateKey' | 'slackBotToken' | 'slackSigningSecret' | 'cursorKey';

/** The variable carrying each secret's ARN; the secret itself never sits in the environment. */
export const SECRET_ARN_VARIABLES: Record<SecretId, string> = {
  githubWebhookSecret: ENV.githubWebhookSecretArn,
  argocdToken: ENV.argocdTokenSecretArn,
  githubAppPrivateKey: ENV.githubAppPrivateKeySecretArn,
  slackBotToken: ENV.slackBotTokenSecretArn,
  slackSigningSecret: ENV.slackSigningSecretArn,
  cursorKey: ENV.cursorKeySecretArn,
};

/** What the stack offers the grants: its tables, bus, secrets, settings and ARNs. */
export interface GrantContext {
  mainTable: TableV2;
  idempotencyTable: TableV2;
  bus: EventBus;
  secrets: Record<SecretId, ISecret>;
  settings: FlightplanSettings;
  imageRegistry: string;
  ecrRepositories: string;
  stateMachineArn: (name: StateMachineName) => string;
}

type Grant = (fn: NodejsFunction, context: GrantContext, declaration: FunctionDeclaration) => void;

const table: Grant = (fn, { mainTable }, declaration) => {
  if (declaration.use.readsOnly) mainTable.grantReadData(fn);
  else mainTable.grantReadWriteData(fn);
  fn.addEnvironment(ENV.tableName, mainTable.tableName);
};

/**
 * PutEvents on the control-plane bus for exactly these event types: one statement per source,
 * conditioned on `events:source` and `events:detail-type`, so no pair is allowed that was not
 * declared (a statement naming two sources and two detail-types would allow all four pairs).
 * Both keys are multivalued in IAM's reference, hence `ForAllValues` (every value is declared)
 * with `Null: false` (the value is there: ForAllValues alone holds for a missing key).
 */
const putEvents =
  (events: readonly EventType[]): Grant =>
  (fn, context) => {
    const detailTypesBySource = new Map<string, Set<string>>();
    for (const { source, detailType } of events)
      detailTypesBySource.set(source, (detailTypesBySource.get(source) ?? new Set()).add(detailType));
    for (const [source, detailTypes] of detailTypesBySource) {
      fn.addToRolePolicy(
        new PolicyStatement({
          effect: Effect.ALLOW,
          actions: ['events:PutEvents'],
          resources: [context.bus.eventBusArn],
          conditions: {
            'ForAllValues:StringEquals': { 'events:source': [source], 'events:detail-type': [...detailTypes].sort() },
            Null: { 'events:source': 'false', 'events:detail-type': 'false' },
          },
        }),
      );
    }
    fn.addEnvironment(ENV.busName, context.bus.eventBusName);
  };

/** The `bus` port publishes what the declaration lists in `use.publishes`, and nothing else. */
const bus: Grant = (fn, context, declaration) => {
  const { publishes = [] } = declaration.use;
  if (publishes.length === 0)
    throw new Error(`${declaration.description}: the bus port needs use.publishes (the events it publishes)`);
  putEvents(publishes)(fn, context, declaration);
};

const secret =
  (id: SecretId): Grant =>
  (fn, { secrets }) => {
    secrets[id].grantRead(fn);
    fn.addEnvironment(SECRET_ARN_VARIABLES[id], secrets[id].secretArn);
  };

const githubApp: Grant = (fn, context, declaration) => {
  secret('githubAppPrivateKey')(fn, context, declaration);
  fn.addEnvironment(ENV.githubAppId, context.settings.githubAppId);
  fn.addEnvironment(ENV.githubAppInstallationId, context.settings.githubAppInstallationId);
};

const all =
  (...grants: Grant[]): Grant =>
  (fn, context, declaration) => {
    for (const grant of grants) grant(fn, context, declaration);
  };

const workflows: Grant = (fn, { stateMachineArn }, declaration) => {
  const { starts = [], signals = [], describes = [], reads = [] } = declaration.use.workflows ?? {};
  if (starts.length + signals.length === 0)
    throw new Error(
      `${declaration.description}: the workflows port needs use.workflows (the state machines it starts or signals)`,
    );
  // By name, not by reference: the state machines already depend on these functions' ARNs.
  for (const name of new Set([...starts, ...signals, ...describes, ...reads])) {
    if (name in STATE_MACHINE_ARN_VARIABLES)
      fn.addEnvironment(
        STATE_MACHINE_ARN_VARIABLES[name as keyof typeof STATE_MACHINE_ARN_VARIABLES],
        stateMachineArn(name),
      );
  }
  for (const name of starts) {
    fn.addToRolePolicy(
      new PolicyStatement({
        effect: Effect.ALLOW,
        actions: ['states:StartExecution'],
        resources: [stateMachineArn(name)],
      }),
    );
  }
  for (const name of describes) {
    fn.addToRolePolicy(
      new PolicyStatement({
        effect: Effect.ALLOW,
        actions: ['states:DescribeExecution'],
        resources: [`${stateMachineArn(name).replace(':stateMachine:', ':execution:')}:*`],
      }),
    );
  }
  for (const name of signals) {
    fn.addToRolePolicy(
      new PolicyStatement({
        effect: Effect.ALLOW,
        actions: ['states:SendTaskSuccess', 'states:SendTaskFailure', 'states:SendTaskHeartbeat'],
        resources: [stateMachineArn(name)],
      }),
    );
  }
  for (const name of reads) {
    fn.addToRolePolicy(
      new PolicyStatement({
        effect: Effect.ALLOW,
        actions: ['states:DescribeExecution', 'states:GetExecutionHistory'],
        resources: [`${stateMachineArn(name).replace(':stateMachine:', ':execution:')}:*`],
      }),
    );
  }
};

/**
 * What each port needs on AWS: its grants and its environment. A function gets the union over
 * the ports it declares, and nothing else.
 */
export const PORT_GRANTS: Record<PortName, Grant> = {
  // The deployments port publishes every stored change (PublishingDeploymentStore), and only that.
  deployments: all(table, putEvents([deploymentChanged])),
  catalog: table,
  approvals: table,
  locks: table,
  waits: table,
  provisioning: table,
  idempotency: (fn, { idempotencyTable }) => {
    idempotencyTable.grantReadWriteData(fn);
    fn.addEnvironment(ENV.idempotencyTableName, idempotencyTable.tableName);
  },
  bus,
  workflows,
  artifacts: (fn, { ecrRepositories }) => {
    fn.addToRolePolicy(
      new PolicyStatement({ effect: Effect.ALLOW, actions: ['ecr:DescribeImages'], resources: [ecrRepositories] }),
    );
  },
  // CloudWatch in this account, or each workload account's FlightplanHealthReader; Prometheus credentials.
  health: (fn, { settings }) => {
    grantHealthReads(fn, settings);
  },
  gitops: all(githubApp, (fn, { settings }) => {
    fn.addEnvironment(ENV.gitopsRepository, settings.gitopsRepository);
  }),
  githubDeployments: githubApp,
  // The code host's token covers what use.codeHost names (functions/github-token-scopes.ts).
  codeHost: all(githubApp, (fn, { settings }, declaration) => {
    if (!declaration.use.codeHost)
      throw new Error(
        `${declaration.description}: the codeHost port needs use.codeHost (what it does with repositories)`,
      );
    if (CODE_HOST_SCOPES[declaration.use.codeHost].repositories === 'terraform')
      fn.addEnvironment(ENV.terraformRepository, settings.terraformRepository);
  }),
  chat: all(secret('slackBotToken'), (fn, { settings }) => {
    fn.addEnvironment(ENV.portalUrl, settings.portalUrl);
  }),
  githubWebhookSecret: secret('githubWebhookSecret'),
  argocdToken: secret('argocdToken'),
  slackSigningSecret: secret('slackSigningSecret'),
  cursorKey: secret('cursorKey'),
  selfService: (fn, { settings, imageRegistry }) => {
    fn.addEnvironment(ENV.githubOrganization, settings.githubOrganization);
    fn.addEnvironment(ENV.gitopsRepository, settings.gitopsRepository);
    fn.addEnvironment(ENV.terraformRepository, settings.terraformRepository);
    fn.addEnvironment(ENV.terraformModuleSource, settings.terraformModuleSource);
    fn.addEnvironment(ENV.terraformApplyWorkflow, settings.terraformApplyWorkflow);
    fn.addEnvironment(ENV.accounts, JSON.stringify(settings.accounts));
    fn.addEnvironment(ENV.snsHttpsDomains, settings.snsHttpsDomains.join(','));
    fn.addEnvironment(ENV.imageRegistry, imageRegistry);
  },
  freezeWindows: (fn, { settings }) => {
    fn.addEnvironment(ENV.freezeWindows, JSON.stringify(settings.freezeWindows));
  },
  eventOrigins: (fn, { settings }) => {
    fn.addEnvironment(ENV.controlPlaneAccount, settings.account);
    if (settings.workloadAccounts) fn.addEnvironment(ENV.workloadAccounts, JSON.stringify(settings.workloadAccounts));
  },
  metrics: () => undefined,
  clock: () => undefined,
};

export function grantPorts(fn: NodejsFunction, declaration: FunctionDeclaration, context: GrantContext): void {
  for (const port of new Set(declaration.ports)) PORT_GRANTS[port](fn, context, declaration);
}
