import type { Environment } from '../domain/catalog.js';
import { isTerminal, type Deployment, type DeploymentEvent, type DeploymentStatus } from '../domain/deployment.js';
import { NotFoundError } from '../errors.js';
import type {
  ApprovalStore,
  DeploymentStore,
  ExecutionDescription,
  ExecutionHistoryEvent,
  LockStore,
  Page,
  WorkflowEngine,
} from '../ports/index.js';
import { lockKey } from '../domain/locking.js';
import { approvalIdFor, type Approval } from '../domain/approval.js';

export type DeploymentView = DeploymentSummary & {
  approvals: Approval[];
  events: DeploymentEvent[];
  waitingBehind: string | null;
};

export type DeploymentSummary = Omit<Deployment, 'revision'>;

/** The store's revision is a concurrency token, not something the portal should see or send back. */
const withoutRevision = ({ revision: _revision, ...visible }: Deployment): DeploymentSummary => visible;

export async function listDeployments(
  deps: { deployments: DeploymentStore },
  query: {
    service?: string | undefined;
    environment?: Environment | undefined;
    status?: DeploymentStatus | undefined;
    cursor?: string | undefined;
    limit: number;
  },
): Promise<Page<DeploymentSummary>> {
  const page = await deps.deployments.list(
    {
      ...(query.service ? { service: query.service } : {}),
      ...(query.environment ? { environment: query.environment } : {}),
      ...(query.status ? { status: query.status } : {}),
    },
    { limit: query.limit, ...(query.cursor ? { cursor: query.cursor } : {}) },
  );
  return { items: page.items.map(withoutRevision), nextCursor: page.nextCursor };
}

/** A deployment as the portal shows it: plan and waves, approvals, the audit trail, and what a queued one waits behind. */
export async function describeDeployment(
  deps: { deployments: DeploymentStore; approvals: ApprovalStore; locks: LockStore },
  id: string,
): Promise<DeploymentView> {
  const deployment = await deps.deployments.get(id);
  if (!deployment) throw new NotFoundError(`Deployment ${id} does not exist`);
  // Exactly the audit entries up to the revision read: the state and its trail always match.
  const [events, approval, waitingBehind] = await Promise.all([
    deps.deployments.events(id, deployment.revision),
    deps.approvals.get(approvalIdFor(id)),
    waitingBehindOf(deps, deployment),
  ]);
  return { ...withoutRevision(deployment), approvals: approval ? [approval] : [], events, waitingBehind };
}

/**
 * A queued deployment waits for the lock holder, or in PROD (FIFO) for the head of the queue:
 * the same two reads the lock step makes, so the answer is what it would decide.
 */
async function waitingBehindOf(
  deps: { deployments: DeploymentStore; locks: LockStore },
  deployment: Deployment,
): Promise<string | null> {
  if (deployment.status !== 'QUEUED') return null;
  const holder = await deps.locks.get(lockKey(deployment.service, deployment.environment));
  if (holder && holder.deploymentId !== deployment.id) {
    const held = await deps.deployments.get(holder.deploymentId);
    if (held && !isTerminal(held.status)) return held.id;
  }
  if (deployment.environment !== 'prod') return null;
  const head = await deps.deployments.queueHead(deployment.service, deployment.environment);
  return head && head !== deployment.id ? head : null;
}

/** The deployment's workflow execution as Step Functions keeps it: its status and its history, state by state. */
export async function describeDeploymentExecution(
  deps: { deployments: DeploymentStore; workflows: WorkflowEngine },
  id: string,
): Promise<ExecutionDescription & { events: ExecutionHistoryEvent[] }> {
  if (!(await deps.deployments.get(id))) throw new NotFoundError(`Deployment ${id} does not exist`);
  const found = await deps.workflows.executionHistory('deployment', id);
  if (!found) throw new NotFoundError(`Deployment ${id} has no workflow execution yet`);
  return { ...found.execution, events: found.events };
}
