import type { Deployment } from '../domain/deployment.js';
import { argoWaitKey, bakeWaitKey } from '../domain/locking.js';
import { TaskTokenExpiredError } from '../errors.js';
import type { TaskWait, WaitStore, WorkflowEngine } from '../ports/index.js';

export type WaitSignal = { success: unknown } | { error: string; cause: string };

/**
 * Resumes or fails the workflow parked on `wait`, exactly once: the wait is taken (a conditional
 * delete) before the signal, so of several signallers only one gets through. `expired` means the
 * workflow stopped waiting (timed out or was stopped) in the meantime.
 */
export async function signalWait(
  deps: { waits: WaitStore; workflows: WorkflowEngine },
  wait: TaskWait,
  signal: WaitSignal,
): Promise<'signalled' | 'taken' | 'expired'> {
  if (!(await deps.waits.take(wait.key, wait.taskToken))) return 'taken';
  try {
    if ('success' in signal) await deps.workflows.sendTaskSuccess(wait.taskToken, signal.success);
    else await deps.workflows.sendTaskFailure(wait.taskToken, signal.error, signal.cause);
    return 'signalled';
  } catch (error) {
    if (error instanceof TaskTokenExpiredError) return 'expired';
    throw error;
  }
}

/**
 * Resumes the workflow parked on `wait` with an outcome that can no longer change (a decided
 * approval), at least once: the signal goes first and the wait is forgotten after it, so a run
 * that dies in between leaves the wait for the next one to signal again, instead of a workflow
 * parked until its timeout. Every signaller sends the same outcome; those after the first find
 * the task closed, which Step Functions reports as a timed-out token.
 */
export async function resumeWithFinalOutcome(
  deps: { waits: WaitStore; workflows: WorkflowEngine },
  wait: TaskWait,
  output: unknown,
): Promise<'signalled' | 'expired'> {
  let result: 'signalled' | 'expired' = 'signalled';
  try {
    await deps.workflows.sendTaskSuccess(wait.taskToken, output);
  } catch (error) {
    if (!(error instanceof TaskTokenExpiredError)) throw error;
    result = 'expired';
  }
  await deps.waits.take(wait.key, wait.taskToken);
  return result;
}

/** Fails whatever this deployment is parked on (Argo CD syncs and bakes in any of its regions), so its workflow moves on now. */
export async function failWaitsOf(
  deps: { waits: WaitStore; workflows: WorkflowEngine },
  deployment: Deployment,
  error: string,
  cause: string,
): Promise<void> {
  for (const wave of deployment.waves) {
    for (const key of [
      argoWaitKey(deployment.service, deployment.environment, wave.region),
      bakeWaitKey(deployment.service, deployment.environment, wave.region),
    ]) {
      const wait = await deps.waits.get(key);
      if (wait?.deploymentId === deployment.id) await signalWait(deps, wait, { error, cause });
    }
  }
}
