import { describe, expect, it } from 'vitest';
import { TaskTokenExpiredError } from '../../functions/errors.js';
import type { TaskWait, WaitStore, WorkflowEngine } from '../../functions/ports/index.js';
import { resumeWithFinalOutcome, signalWait } from '../../functions/use-cases/task-waits.js';

/** A wait store whose take is a conditional delete, as on DynamoDB. */
function memoryWaits(): WaitStore {
  const waits = new Map<string, TaskWait>();
  return {
    put: (wait) => {
      waits.set(wait.key, wait);
      return Promise.resolve();
    },
    get: (key) => Promise.resolve(waits.get(key)),
    take: (key, token) => Promise.resolve(waits.get(key)?.taskToken === token && waits.delete(key)),
    recordArgoObservation: () => Promise.resolve('recorded' as const),
    lastArgoObservation: () => Promise.resolve(undefined),
  };
}

function workflows(onSignal: () => void): WorkflowEngine {
  const signal = () => {
    onSignal();
    return Promise.resolve();
  };
  return {
    start: () => Promise.reject(new Error('unused')),
    sendTaskSuccess: signal,
    sendTaskFailure: signal,
    sendTaskHeartbeat: signal,
    stop: signal,
    describe: () => Promise.resolve(undefined),
    executionHistory: () => Promise.resolve(undefined),
  };
}

const wait: TaskWait = {
  key: 'argocd#svc#hml#us-east-1',
  taskToken: 't1',
  deploymentId: 'd1',
  createdAt: '2026-11-23T10:00:00Z',
};

describe('signalWait', () => {
  it('signals once however many callers race for the same wait', async () => {
    const waits = memoryWaits();
    await waits.put(wait);
    let signals = 0;
    const deps = {
      waits,
      workflows: workflows(() => {
        signals += 1;
      }),
    };
    const results = await Promise.all([
      signalWait(deps, wait, { success: {} }),
      signalWait(deps, wait, { error: 'X', cause: 'y' }),
      signalWait(deps, wait, { success: {} }),
    ]);
    expect(results.filter((result) => result === 'signalled')).toHaveLength(1);
    expect(results.filter((result) => result === 'taken')).toHaveLength(2);
    expect(signals).toBe(1);
  });

  it('reports a workflow that stopped waiting instead of throwing', async () => {
    const waits = memoryWaits();
    await waits.put(wait);
    const deps = {
      waits,
      workflows: workflows(() => {
        throw new TaskTokenExpiredError('gone');
      }),
    };
    expect(await signalWait(deps, wait, { error: 'SupersededError', cause: 'newer' })).toBe('expired');
    expect(await waits.get(wait.key)).toBeUndefined();
  });
});

describe('resumeWithFinalOutcome', () => {
  it('keeps the wait when the signal fails, so the next run signals again', async () => {
    const waits = memoryWaits();
    await waits.put(wait);
    let attempts = 0;
    const deps = {
      waits,
      workflows: workflows(() => {
        attempts += 1;
        if (attempts === 1) throw new Error('Task timed out after 3.00 seconds');
      }),
    };
    await expect(resumeWithFinalOutcome(deps, wait, { status: 'APPROVED' })).rejects.toThrow('timed out');
    expect(await waits.get(wait.key)).toEqual(wait);
    expect(await resumeWithFinalOutcome(deps, wait, { status: 'APPROVED' })).toBe('signalled');
    expect(await waits.get(wait.key)).toBeUndefined();
  });

  it('forgets the wait when another run already resumed the workflow', async () => {
    const waits = memoryWaits();
    await waits.put(wait);
    const deps = {
      waits,
      workflows: workflows(() => {
        throw new TaskTokenExpiredError('Task Timed Out');
      }),
    };
    expect(await resumeWithFinalOutcome(deps, wait, { status: 'APPROVED' })).toBe('expired');
    expect(await waits.get(wait.key)).toBeUndefined();
  });
});
