import { DynamoDBPersistenceLayer } from '@aws-lambda-powertools/idempotency/dynamodb';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDbApprovalStore } from '../../functions/adapters/aws/dynamodb-approval-store.js';
import { DynamoDbCatalogStore } from '../../functions/adapters/aws/dynamodb-catalog-store.js';
import { DynamoDbDeploymentStore } from '../../functions/adapters/aws/dynamodb-deployment-store.js';
import { DynamoDbLockStore } from '../../functions/adapters/aws/dynamodb-lock-store.js';
import { DynamoDbProvisioningStore } from '../../functions/adapters/aws/dynamodb-provisioning-store.js';
import { DynamoDbWaitStore } from '../../functions/adapters/aws/dynamodb-wait-store.js';
import type { GitRepoGitOps } from '../../functions/adapters/local/git-repo-gitops.js';
import type { GithubSimulator } from '../../functions/adapters/local/github-simulator.js';
import {
  DeterministicArtifactRegistry,
  EnvironmentSecrets,
  RecordingMetrics,
  systemClock,
  type HealthSimulator,
} from '../../functions/adapters/local/local-adapters.js';
import type { RecordingChat } from '../../functions/adapters/local/recording-chat.js';
import { DeploymentChangePublisher } from '../../functions/adapters/deployment-change-publisher.js';
import { DEFAULT_LOCK_LEASE_SECONDS, ENV, LOCAL_DEFAULTS, numberEnv } from '../../functions/config.js';
import { declaredPortsOf } from '../../functions/declaration.js';
import type { FreezeWindow } from '../../functions/domain/freeze-window.js';
import type { Dependencies, SelfServiceSettings } from '../../functions/ports/index.js';
import { FUNCTIONS, type FunctionId } from '../system.js';
import { LOCAL_ACCOUNT, type LocalBus } from './local-bus.js';
import { localHealthSource } from './local-health.js';
import type { AnyHandler } from './local-state-machines.js';
import type { LocalWorkflowEngine } from './local-workflow-engine.js';

export interface LocalAdapters {
  client: DynamoDBClient;
  bus: LocalBus;
  workflows: LocalWorkflowEngine;
  gitops: GitRepoGitOps;
  health: HealthSimulator;
  chat: RecordingChat;
  github: GithubSimulator;
  selfService: SelfServiceSettings;
  timeScale: number;
  /** The array is live: tests change it while running. */
  freezeWindows: FreezeWindow[];
  prometheusUrl: string | undefined;
}

const idempotencyLayer = (client: DynamoDBClient) =>
  new DynamoDBPersistenceLayer({ tableName: LOCAL_DEFAULTS.idempotencyTableName, awsSdkV3Client: client });

/** Every port on this machine: the AWS DynamoDB stores against DynamoDB Local, simulators for the rest. */
export function localDependencies(adapters: LocalAdapters): Dependencies {
  const { client } = adapters;
  const table = LOCAL_DEFAULTS.tableName;
  const secrets = new EnvironmentSecrets();
  return {
    deployments: new DeploymentChangePublisher(new DynamoDbDeploymentStore(client, table), adapters.bus),
    catalog: new DynamoDbCatalogStore(client, table),
    locks: new DynamoDbLockStore(
      client,
      table,
      numberEnv(ENV.lockLeaseSeconds, DEFAULT_LOCK_LEASE_SECONDS) / adapters.timeScale,
    ),
    waits: new DynamoDbWaitStore(client, table),
    bus: adapters.bus,
    workflows: adapters.workflows,
    gitops: adapters.gitops,
    artifacts: new DeterministicArtifactRegistry(),
    health: localHealthSource(adapters.health, {
      prometheusUrl: adapters.prometheusUrl,
      timeScale: adapters.timeScale,
    }),
    clock: systemClock,
    githubWebhookSecret: { value: () => secrets.get('githubWebhookSecret') },
    argocdToken: { value: () => secrets.get('argocdToken') },
    slackSigningSecret: { value: () => secrets.get('slackSigningSecret') },
    cursorKey: { value: () => secrets.get('cursorKey') },
    idempotency: idempotencyLayer(client),
    chat: adapters.chat,
    githubDeployments: adapters.github,
    approvals: new DynamoDbApprovalStore(client, table),
    freezeWindows: adapters.freezeWindows,
    // One account locally: no event needs telling apart by where it was put.
    eventOrigins: { controlPlaneAccount: LOCAL_ACCOUNT },
    metrics: new RecordingMetrics(),
    provisioning: new DynamoDbProvisioningStore(client, table),
    codeHost: adapters.github,
    selfService: adapters.selfService,
  };
}

/**
 * Every function's handler, given only its declared ports: a use of any other fails here as it
 * would on AWS. `wrap` sees each invocation (usage counts, injected faults).
 */
export function localHandlers(
  deps: Dependencies,
  client: DynamoDBClient,
  wrap: (id: FunctionId, handle: AnyHandler) => AnyHandler,
): Record<FunctionId, AnyHandler> {
  const handlers = {} as Record<FunctionId, AnyHandler>;
  for (const [id, spec] of Object.entries(FUNCTIONS) as [FunctionId, (typeof FUNCTIONS)[FunctionId]][]) {
    const { declaration } = spec.module;
    // One persistence layer per function, as on AWS: Powertools configures a layer once, for its first user.
    const handle = declaration.createHandler(
      declaredPortsOf({ ...deps, idempotency: idempotencyLayer(client) }, declaration.ports),
    );
    handlers[id] = wrap(id, handle);
  }
  return handlers;
}
