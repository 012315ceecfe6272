import { describe, expect, it } from 'vitest';
import { chatNoticeFor, githubStatusFor, type DeploymentChangeSummary } from '../../functions/domain/notifications.js';

const summary = (
  action: string,
  options: { region?: string; waveStatus?: string; repository?: string | null } = {},
): DeploymentChangeSummary => ({
  deployment: {
    id: 'orders-api-prod-v1-abc',
    service: 'orders-api',
    team: 'payments',
    environment: 'prod',
    version: 'v1.2.3',
    gitSha: null,
    status: 'IN_PROGRESS',
    requestedBy: 'alice',
    repository: options.repository === undefined ? 'acme/orders-api' : options.repository,
    waves: [{ region: 'us-east-1', status: options.waveStatus ?? 'SUCCEEDED' }],
  },
  change: { action, message: 'what happened\nmore detail', ...(options.region ? { region: options.region } : {}) },
});

describe('chatNoticeFor', () => {
  it.each([
    ['deployment.started', true, false],
    ['wave.gate-passed', true, false],
    ['wave.rolling-back', true, false],
    ['deployment.rolled-back', true, false],
    ['deployment.rollback-failed', true, true],
    ['deployment.failed', true, true],
    ['artifact.resolved', false, false],
    ['wave.deploying', false, false],
  ])('%s: posted %s, urgent %s', (action, posted, urgent) => {
    const notice = chatNoticeFor(summary(action));
    expect(notice !== undefined).toBe(posted);
    if (notice) {
      expect(notice.urgent).toBe(urgent);
      expect(notice.text).toContain('*orders-api* v1.2.3 → prod: what happened');
      expect(notice.text).not.toContain('more detail');
    }
  });
});

describe('githubStatusFor', () => {
  it.each([
    ['wave.deploying', 'DEPLOYING', 'in_progress'],
    ['wave.gate-passed', 'SUCCEEDED', 'success'],
    ['wave.gate-passed', 'BAKING', undefined],
    ['wave.baked', 'SUCCEEDED', 'success'],
    ['wave.gate-failed', 'FAILED', 'failure'],
    ['wave.rolled-back', 'ROLLED_BACK', 'inactive'],
    ['deployment.started', 'PENDING', undefined],
  ])('%s with the wave %s → %s', (action, waveStatus, state) => {
    const notice = githubStatusFor(summary(action, { region: 'us-east-1', waveStatus }));
    expect(notice?.state).toBe(state);
    if (notice)
      expect(notice).toMatchObject({ repository: 'acme/orders-api', ref: 'v1.2.3', environment: 'prod-us-east-1' });
  });

  it('says nothing without a repository to report to', () => {
    expect(githubStatusFor(summary('wave.deploying', { region: 'us-east-1', repository: null }))).toBeUndefined();
  });
});
