import type { BasePersistenceLayer } from '@aws-lambda-powertools/idempotency/persistence';
import type { BusEntry } from '../../events/envelope.js';
import type { Environment, Service } from '../domain/catalog.js';
import type { Person, PersonIdentity } from '../domain/identity.js';
import type { Deployment, DeploymentChange, DeploymentEvent, DeploymentStatus } from '../domain/deployment.js';
import type { Approval, ApprovalStatus } from '../domain/approval.js';
import type { FreezeWindow } from '../domain/freeze-window.js';
import type { EventOrigins } from '../domain/event-origin.js';
import type { UnavailableSignals } from '../domain/health-gate.js';
import type { Accounts } from '../domain/accounts.js';
import type { ApplyRun, ProvisioningChange, ProvisioningRequest, ProvisioningStatus } from '../domain/provisioning.js';
import type { RepositoryFile } from '../domain/service-repository-files.js';

export interface Page<T> {
  items: T[];
  nextCursor: string | null;
}

/** Deployments and their append-only audit trail. Every write is conditional on the revision read. */
export interface DeploymentStore {
  /** Stores a new deployment; `exists` when one with the same id is already there (a duplicate start). */
  create(change: DeploymentChange): Promise<'created' | 'exists'>;
  get(id: string): Promise<Deployment | undefined>;
  /**
   * Read, decide, write with a condition on the revision read, retrying on a lost race.
   * `decide` returns the change to write, or undefined to leave the deployment as it is.
   */
  update(id: string, decide: (current: Deployment) => DeploymentChange | undefined): Promise<Deployment>;
  list(
    filter: { service?: string; environment?: Environment; status?: DeploymentStatus },
    page: { limit: number; cursor?: string },
  ): Promise<Page<Deployment>>;
  /** The audit trail, oldest first; with `untilRevision`, only the entries up to that revision of the record. */
  events(id: string, untilRevision?: number): Promise<DeploymentEvent[]>;
  /** The oldest QUEUED deployment of a service in an environment: who gets the lock next (FIFO). */
  queueHead(service: string, environment: Environment): Promise<string | undefined>;
  /** Records that a version was rolled back, so deploying it again needs an override. */
  markVersionBad(record: BadVersion): Promise<void>;
  badVersion(service: string, version: string): Promise<BadVersion | undefined>;
}

/**
 * The deployments port: a DeploymentStore whose every stored change (create, or an update that
 * wrote) is also published on the bus as `Deployment Changed`, which drives Slack and GitHub
 * Deployments. A function that declares this port publishes, and is granted so.
 */
export type PublishingDeploymentStore = DeploymentStore;

export interface BadVersion {
  service: string;
  version: string;
  deploymentId: string;
  reason: string;
  at: string;
}

/** An approval with the audit entry that explains a change to it. */
export interface ApprovalChange {
  approval: Approval;
  event: DeploymentEvent;
}

/** Approvals and their audit trail (votes, refusals, outcome). Writes are conditional on the revision read. */
export interface ApprovalStore {
  create(change: ApprovalChange): Promise<'created' | 'exists'>;
  get(id: string): Promise<Approval | undefined>;
  update(id: string, decide: (current: Approval) => ApprovalChange | undefined): Promise<Approval>;
  /** Appends to the audit trail without changing the approval (a refused vote). */
  recordEvent(id: string, event: DeploymentEvent): Promise<void>;
  events(id: string): Promise<DeploymentEvent[]>;
  listByStatus(status: ApprovalStatus, page: { limit: number; cursor?: string }): Promise<Page<Approval>>;
}

/** A change to a catalog service with the audit entry that explains it. */
export interface ServiceChange {
  service: Service;
  event: DeploymentEvent;
}

/**
 * The service catalog and the people directory. A person is stored under their id with one index
 * item per identity (Slack user, GitHub login and id, email), each owned by one person, and one
 * membership item per team.
 */
export interface CatalogStore {
  getService(name: string): Promise<Service | undefined>;
  listServices(): Promise<Service[]>;
  listServicesPage(
    filter: { team?: string; status?: Service['status'] },
    page: { limit: number; cursor?: string },
  ): Promise<Page<Service>>;
  /** Only ACTIVE services are found by repository: a service being created cannot deploy yet. */
  findServiceByRepository(repository: string): Promise<Service | undefined>;
  /** Stores an ACTIVE service as it is, with its repository mapping (benchmarks' bulk catalogs). */
  putService(service: Service): Promise<void>;
  /** Stores a new service (CREATING, or ACTIVE with its repository mapped); `exists` when the name is taken, whatever its status. */
  createService(change: ServiceChange): Promise<'created' | 'exists'>;
  /**
   * Read, decide, write with a condition on the revision. Becoming ACTIVE maps its repository to
   * it; leaving ACTIVE (INACTIVE) or moving to another repository unmaps the old one.
   */
  updateService(name: string, decide: (current: Service) => ServiceChange | undefined): Promise<Service>;
  serviceEvents(name: string): Promise<DeploymentEvent[]>;
  getPerson(id: string): Promise<Person | undefined>;
  findPerson(identity: PersonIdentity): Promise<Person | undefined>;
  /**
   * Read, decide, write: `decide` gets the stored person (or undefined) and returns the next one,
   * or undefined to leave it. Throws ConflictError when an identity of the next person (a Slack
   * user, a GitHub login, an email) already belongs to somebody else.
   */
  updatePerson(id: string, decide: (current: Person | undefined) => Person | undefined): Promise<Person | undefined>;
  /** The people whose teams include `team`. */
  membersOf(team: string): Promise<Person[]>;
}

export interface LockHolder {
  deploymentId: string;
  requestedAt: string;
  /** The holder's workflow execution: a lock whose execution no longer runs may be taken. */
  executionArn?: string;
  /** When the lock stops protecting its holder unless renewed; a later waiter may take it then. */
  leaseExpiresAt?: string;
}

/** One running deployment per service and environment, held under a lease. */
export interface LockStore {
  /** How long a holder keeps the lock without renewing it (the lease). Tests change it while running. */
  leaseSeconds: number;
  get(key: string): Promise<LockHolder | undefined>;
  /**
   * Takes the lock when it is free or still held by `expected` (the same holder, with the same
   * lease); false when someone else won the race.
   */
  compareAndSet(key: string, expected: LockHolder | undefined, holder: LockHolder): Promise<boolean>;
  release(key: string, deploymentId: string): Promise<void>;
}

/** A workflow paused on a task token until an outside signal (Argo CD, a bake, a vote) resumes it. */
export interface TaskWait {
  key: string;
  taskToken: string;
  deploymentId: string;
  /** What the signal must report to count, for example the GitOps commit Argo CD must have synced. */
  expectedRevision?: string;
  createdAt: string;
}

export interface ArgoObservation {
  app: string;
  revision: string;
  syncStatus: string;
  healthStatus: string;
  operationPhase?: string;
  observedAt: string;
}

export interface WaitStore {
  put(wait: TaskWait): Promise<void>;
  get(key: string): Promise<TaskWait | undefined>;
  /** Deletes the wait if it still holds `taskToken`, so only one signal resumes it. */
  take(key: string, taskToken: string): Promise<boolean>;
  /** Keeps the newest observation per key; `older` when a newer one is already recorded (news arriving late). */
  recordArgoObservation(key: string, observation: ArgoObservation): Promise<'recorded' | 'older'>;
  lastArgoObservation(key: string): Promise<ArgoObservation | undefined>;
}

/** Publishes normalized events to the control-plane bus. Throws when any entry could not be delivered. */
export interface EventPublisher {
  publish(entries: BusEntry[]): Promise<void>;
}

/**
 * Provisioning requests, their audit trail, and the claims that keep one live request per
 * resource. Writes are conditional on the revision read.
 */
export interface ProvisioningStore {
  /** `exists`: the id is taken (a retried request); `claimed`: another live request owns that resource. */
  create(change: ProvisioningChange): Promise<'created' | 'exists' | 'claimed'>;
  get(id: string): Promise<ProvisioningRequest | undefined>;
  /** Ending REJECTED or FAILED releases the resource's claim in the same transaction. */
  update(
    id: string,
    decide: (current: ProvisioningRequest) => ProvisioningChange | undefined,
  ): Promise<ProvisioningRequest>;
  events(id: string): Promise<DeploymentEvent[]>;
  list(
    filter: { service?: string; environment?: Environment; status?: ProvisioningStatus },
    page: { limit: number; cursor?: string },
  ): Promise<Page<ProvisioningRequest>>;
  /** Resources of one type a service has or is getting in an environment and region. */
  countClaims(
    service: string,
    environment: Environment,
    region: string,
    type: ProvisioningRequest['type'],
  ): Promise<number>;
  findByPullRequest(repository: string, number: number): Promise<string | undefined>;
  findByMergeCommit(repository: string, sha: string): Promise<string | undefined>;
  /** An apply run that finished before its pull request was seen merged (webhooks arrive in any order). */
  recordEarlyApplyRun(repository: string, run: ApplyRun): Promise<void>;
  earlyApplyRun(repository: string, sha: string): Promise<ApplyRun | undefined>;
}

/** Git hosting for the Terraform repository and new service repositories: GitHub, or git repositories under .local/. */
export interface CodeHost {
  /**
   * Creates `repository` from the template repository and marks it with the topic `mark`;
   * `created: false` when it exists already with that mark (a retried step). An existing
   * repository without the mark is not this service's: `PolicyViolationError`, nothing changed.
   */
  createRepository(input: {
    template: string;
    repository: string;
    description: string;
    mark: string;
  }): Promise<{ url: string; created: boolean }>;
  /** One commit on the default branch with every file. */
  commitFiles(repository: string, files: RepositoryFile[], message: string): Promise<{ revision: string }>;
  /** A file's content at `ref` (a commit or branch); undefined when the file is not there. */
  readFile(repository: string, path: string, ref: string): Promise<string | undefined>;
  /**
   * The newest commit at `ref` (a commit or branch; the default branch without one) that added,
   * changed or removed `path`; undefined when none did.
   */
  lastChangeOf(repository: string, path: string, ref?: string): Promise<string | undefined>;
  /** Pushes the files to `branch` and opens a pull request, or returns the one already open for that branch. */
  openPullRequest(input: {
    repository: string;
    branch: string;
    files: RepositoryFile[];
    title: string;
    body: string;
  }): Promise<{ number: number; url: string }>;
}

/** Where self-service requests land: organization, repositories and accounts (config.ts). */
export interface SelfServiceSettings {
  organization: string;
  terraformRepository: string;
  terraformModuleSource: string;
  /** Only this workflow's runs on the Terraform repository count as the apply. */
  terraformApplyWorkflow: string;
  gitopsRepositoryUrl: string;
  imageRegistry: string;
  accounts: Accounts;
  /** Domains an SNS `https` subscription may deliver to (and their subdomains). */
  snsHttpsDomains: readonly string[];
}

export type StateMachineName = 'deployment' | 'approval' | 'provisioning' | 'serviceCreation';

export interface ExecutionDescription {
  executionArn: string;
  name: string;
  status: 'RUNNING' | 'SUCCEEDED' | 'FAILED' | 'TIMED_OUT' | 'ABORTED';
  startDate: string;
  stopDate?: string;
  output?: unknown;
  error?: string;
  cause?: string;
}

/** One event of an execution's history (GetExecutionHistory), with its `…EventDetails`. */
export interface ExecutionHistoryEvent {
  id: number;
  previousEventId?: number;
  timestamp: string;
  type: string;
  [details: string]: unknown;
}

/** Step Functions, or the local runner over the same ASL. */
export interface WorkflowEngine {
  /** Starting an execution whose name already ran with the same input is a no-op that returns it. */
  start(
    stateMachine: StateMachineName,
    name: string,
    input: Record<string, unknown>,
  ): Promise<{ executionArn: string; alreadyStarted: boolean }>;
  sendTaskSuccess(taskToken: string, output: unknown): Promise<void>;
  sendTaskFailure(taskToken: string, error: string, cause: string): Promise<void>;
  sendTaskHeartbeat(taskToken: string): Promise<void>;
  stop(executionArn: string, error: string, cause: string): Promise<void>;
  describe(executionArn: string): Promise<ExecutionDescription | undefined>;
  /** DescribeExecution and GetExecutionHistory (oldest first) of the execution of `stateMachine` named `name`; undefined when there is none. */
  executionHistory(
    stateMachine: StateMachineName,
    name: string,
  ): Promise<{ execution: ExecutionDescription; events: ExecutionHistoryEvent[] } | undefined>;
}

export interface GitOpsTarget {
  service: string;
  environment: Environment;
  region: string;
}

/** The repository Argo CD deploys from. Images are always pinned by digest. */
export interface GitOpsRepo {
  readImageDigest(target: GitOpsTarget): Promise<string | null>;
  /** Commits the digest; returns the commit id Argo CD will report once synced. */
  commitImageDigest(
    target: GitOpsTarget & { imageRepository: string; digest: string; message: string },
  ): Promise<{ revision: string }>;
  /** One commit with every file (Argo CD Applications, Keycloak clients of a new service). */
  commitFiles(files: RepositoryFile[], message: string): Promise<{ revision: string }>;
}

export interface ArtifactRegistry {
  /** The digest of `repository:tag`; throws ArtifactNotReadyError while the image does not exist yet. */
  resolveDigest(repository: string, tag: string): Promise<string>;
}

export interface HealthSignals {
  errorRate?: number;
  p99Ms?: number;
  requestCount?: number;
  alarmsInAlarm: string[];
  /**
   * Signals the source was asked for and could not read, with why (a PromQL error, a timeout).
   * A gate never passes on them. A signal that is simply absent (no traffic) is left out instead.
   */
  unavailable?: UnavailableSignals;
}

/**
 * Health of one service in one environment and region: error rate, p99 latency and traffic from
 * a metrics backend (CloudWatch, or Prometheus' HTTP API), and the alarms in ALARM.
 */
export interface HealthSource {
  observe(target: GitOpsTarget): Promise<HealthSignals>;
}

export interface ChatMessage {
  channel: string;
  text: string;
  /** Block Kit blocks; `text` stays the notification fallback. */
  blocks?: unknown[];
  /** Pages the channel (Slack: an @here mention) for what needs a human now. */
  urgent?: boolean;
}

/** Slack, or the local recorder behind GET /local/slack/messages. */
export interface Chat {
  post(message: ChatMessage): Promise<{ channel: string; ts: string }>;
  update(channel: string, ts: string, message: Omit<ChatMessage, 'channel'>): Promise<void>;
  /** A message only `user` sees, for example why their vote was refused. */
  postEphemeral(channel: string, user: string, text: string): Promise<void>;
  /** A Slack user's profile (Slack: users.info, scopes users:read and users:read.email); undefined when unknown. */
  userProfile(user: string): Promise<ChatUserProfile | undefined>;
}

export interface ChatUserProfile {
  id: string;
  name: string;
  email?: string | undefined;
  isBot: boolean;
  /**
   * A member of another Slack workspace, met in a Slack Connect channel: their profile, email
   * included, is whatever that workspace's administrators made it.
   */
  fromAnotherWorkspace: boolean;
}

/** GitHub Deployments and their statuses (locally, a recording simulator). */
export interface GithubDeployments {
  setStatus(notice: {
    repository: string;
    ref: string;
    environment: string;
    state: 'in_progress' | 'success' | 'failure' | 'inactive';
    description: string;
  }): Promise<void>;
}

/** Business metrics: counts and durations with dimensions, for the dashboard and alarms. */
export interface MetricsRecorder {
  count(name: string, dimensions: Record<string, string>): void;
  milliseconds(name: string, value: number, dimensions: Record<string, string>): void;
}

export interface Clock {
  now(): string;
}

export type SecretName = 'githubWebhookSecret' | 'argocdToken' | 'slackSigningSecret' | 'slackBotToken' | 'cursorKey';

export interface SecretsProvider {
  get(name: SecretName): Promise<string>;
}

/** One secret a function reads: to authenticate its callers (a webhook secret, a bearer token), or to seal what it hands out. */
export interface Secret {
  value(): Promise<string>;
}

/**
 * Every port a function may declare (functions/declaration.ts). A function gets exactly the
 * ports it declares, and on AWS exactly the grants and environment those ports need.
 */
export interface Dependencies {
  deployments: PublishingDeploymentStore;
  catalog: CatalogStore;
  locks: LockStore;
  waits: WaitStore;
  bus: EventPublisher;
  workflows: WorkflowEngine;
  gitops: GitOpsRepo;
  artifacts: ArtifactRegistry;
  health: HealthSource;
  clock: Clock;
  githubWebhookSecret: Secret;
  argocdToken: Secret;
  slackSigningSecret: Secret;
  /** What the portal seals its list cursors with (functions/http/sealed-cursors.ts). */
  cursorKey: Secret;
  idempotency: BasePersistenceLayer;
  chat: Chat;
  githubDeployments: GithubDeployments;
  approvals: ApprovalStore;
  freezeWindows: FreezeWindow[];
  eventOrigins: EventOrigins;
  metrics: MetricsRecorder;
  provisioning: ProvisioningStore;
  codeHost: CodeHost;
  selfService: SelfServiceSettings;
}
