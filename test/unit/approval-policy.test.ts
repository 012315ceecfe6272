import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  castVote,
  newApproval,
  quorumReached,
  reminderSchedule,
  type Approval,
  type ApprovalPolicyName,
  type Voter,
} from '../../functions/domain/approval.js';

const directory: Record<string, string[]> = {
  alice: ['payments'],
  bob: ['payments'],
  frank: ['payments'],
  erin: ['storefront'],
  carol: ['platform-team'],
  dave: ['platform-team'],
};
const voter = (login: string): Voter => ({ id: login, name: login, teams: directory[login] ?? [] });
const teamsOf = (login: string) => directory[login] ?? [];
const NOW = '2026-11-23T10:00:00.000Z';
const LATER = '2026-11-23T10:05:00.000Z';

const approval = (policy: ApprovalPolicyName): Approval =>
  newApproval({
    id: 'a1',
    policy,
    team: 'payments',
    requestedBy: 'alice',
    requesters: [{ personId: 'alice', name: 'alice', bot: false }],
    subject: { kind: 'deployment', id: 'd1', summary: 'orders-api v1 → prod', binding: 'sha256:abc' },
    now: NOW,
  });

function vote(start: Approval, votes: [string, 'APPROVE' | 'REJECT'][]): { approval: Approval; outcomes: string[] } {
  let current = start;
  const outcomes: string[] = [];
  for (const [login, decision] of votes) {
    const outcome = castVote(current, voter(login), { decision, via: 'portal' }, LATER);
    outcomes.push(outcome.kind === 'refused' ? outcome.code : outcome.kind);
    if (outcome.kind !== 'refused') current = outcome.approval;
  }
  return { approval: current, outcomes };
}

describe('castVote', () => {
  it.each([
    ['prod-deploy', [['bob', 'APPROVE']], 'APPROVED', ['decided']],
    ['prod-deploy', [['alice', 'APPROVE']], 'PENDING', ['self-approval']],
    ['prod-deploy', [['erin', 'APPROVE']], 'PENDING', ['not-allowed']],
    ['prod-deploy', [['carol', 'APPROVE']], 'PENDING', ['not-allowed']],
    [
      'prod-deploy',
      [
        ['bob', 'REJECT'],
        ['frank', 'APPROVE'],
      ],
      'REJECTED',
      ['decided', 'closed'],
    ],
    ['hml-resource', [['frank', 'APPROVE']], 'APPROVED', ['decided']],
    [
      'prod-resource',
      [
        ['bob', 'APPROVE'],
        ['frank', 'APPROVE'],
      ],
      'PENDING',
      ['recorded', 'recorded'],
    ],
    [
      'prod-resource',
      [
        ['bob', 'APPROVE'],
        ['carol', 'APPROVE'],
      ],
      'APPROVED',
      ['recorded', 'decided'],
    ],
    [
      'prod-resource',
      [
        ['carol', 'APPROVE'],
        ['dave', 'APPROVE'],
      ],
      'APPROVED',
      ['recorded', 'decided'],
    ],
    [
      'prod-resource',
      [
        ['carol', 'APPROVE'],
        ['carol', 'APPROVE'],
      ],
      'PENDING',
      ['recorded', 'duplicate'],
    ],
    [
      'prod-resource',
      [
        ['bob', 'APPROVE'],
        ['erin', 'APPROVE'],
      ],
      'PENDING',
      ['recorded', 'not-allowed'],
    ],
  ] as const)('%s with votes %j ends %s (%j)', (policy, votes, status, outcomes) => {
    const result = vote(
      approval(policy),
      votes.map(([login, decision]) => [login, decision]),
    );
    expect(result.approval.status).toBe(status);
    expect(result.outcomes).toEqual(outcomes);
  });

  it('refuses votes after the expiry time', () => {
    const outcome = castVote(
      approval('prod-deploy'),
      voter('bob'),
      { decision: 'APPROVE', via: 'slack' },
      '2026-11-24T10:00:00.001Z',
    );
    expect(outcome).toMatchObject({ kind: 'refused', code: 'expired' });
  });

  it('never approves without quorum, with a self-vote, an ineligible or a repeated vote (any sequence)', () => {
    const logins = [...Object.keys(directory), 'mallory'];
    fc.assert(
      fc.property(
        fc.constantFrom<ApprovalPolicyName>('prod-deploy', 'hml-resource', 'prod-resource'),
        fc.array(fc.tuple(fc.constantFrom(...logins), fc.constantFrom<'APPROVE' | 'REJECT'>('APPROVE', 'REJECT')), {
          maxLength: 12,
        }),
        (policy, votes) => {
          const { approval: result } = vote(approval(policy), votes);
          const voters = result.votes.map((recorded) => recorded.voter);
          expect(voters).not.toContain('alice');
          expect(new Set(voters).size).toBe(voters.length);
          if (result.status === 'APPROVED') {
            expect(quorumReached(result)).toBe(true);
            expect(result.votes.every((recorded) => recorded.decision === 'APPROVE')).toBe(true);
          }
          const firstReject = votes.findIndex(
            ([login, decision]) =>
              decision === 'REJECT' &&
              login !== 'alice' &&
              teamsOf(login).some(
                (team) => team === 'payments' || (policy === 'prod-resource' && team === 'platform-team'),
              ),
          );
          if (result.status === 'REJECTED') expect(firstReject).toBeGreaterThanOrEqual(0);
          if (result.status !== 'PENDING') expect(result.decidedAt).toBe(LATER);
        },
      ),
    );
  });
});

describe('reminderSchedule', () => {
  it.each([
    [86_400, [43_200, 36_000, 7200]],
    [3600, [1800, 1, 1799]],
    [10, [5, 1, 4]],
    [1, [1, 1, 1]],
  ] as const)('for %i seconds left waits %j', (secondsLeft, expected) => {
    expect(reminderSchedule('prod-deploy', secondsLeft)).toEqual(expected);
  });
});
