import fc from 'fast-check';
import { UnsecuredJWT } from 'jose';
import { describe, expect, it } from 'vitest';
import {
  approvalTermsFor,
  castVote,
  newApproval,
  quorumReached,
  type Approval,
  type ApprovalPolicyName,
  type Voter,
} from '../../functions/domain/approval.js';
import {
  interpretPullRequest,
  interpretRelease,
  pullRequestEventSchema,
  releaseEventSchema,
} from '../../functions/domain/github-delivery.js';
import {
  isRequester,
  personFromSignIn,
  requesterFor,
  identitiesOf,
  teamsFromGroupsClaim,
  type Person,
  type Requester,
} from '../../functions/domain/identity.js';
import { ENV, teamGroupParentFrom } from '../../functions/config.js';
import type { Deployment } from '../../functions/domain/deployment.js';
import type { CatalogStore, DeploymentStore } from '../../functions/ports/index.js';
import { prepareBakeDecision } from '../../functions/use-cases/bake.js';
import { manualDeployment } from '../support/deployments.js';
import { callerFromClaims, recordSignIn, withVerifiedGroups } from '../../functions/use-cases/callers.js';
import { personForGithubAccount } from '../../functions/use-cases/directory.js';
import { pullRequestPayload, releasePayload } from '../../infra/local/github-payloads.js';

const NOW = '2026-12-01T10:00:00.000Z';
const LATER = '2026-12-01T10:05:00.000Z';

const person = (id: string, teams: string[], githubLogin: string = id): Person => ({
  id,
  username: id,
  teams,
  github: { login: githubLogin },
});
const voterOf = (who: Person): Voter => ({
  id: who.id,
  name: who.username ?? who.id,
  teams: who.teams,
  ...(who.github ? { github: who.github } : {}),
});

const alice = person('alice', ['payments']);
const bob = person('bob', ['payments']);
const carol = person('carol', ['platform-team']);
const dave = person('dave', ['platform-team']);
const erin = person('erin', ['storefront']);
const members = { payments: [alice, bob], storefront: [erin], 'platform-team': [carol, dave] };

function approvalFor(requesters: Requester[], team = 'payments', policy: ApprovalPolicyName = 'prod-deploy'): Approval {
  return newApproval({
    id: 'd1.approval',
    policy,
    team,
    requestedBy: requesters[0]?.name ?? 'nobody',
    requesters,
    terms: approvalTermsFor(policy, team, requesters, members),
    subject: { kind: 'deployment', id: 'd1', summary: 'orders-api v1 → prod', binding: 'sha256:abc' },
    now: NOW,
  });
}

const outcomeOf = (approval: Approval, voter: Voter) => {
  const outcome = castVote(approval, voter, { decision: 'APPROVE', via: 'slack' }, LATER);
  return outcome.kind === 'refused' ? outcome.code : outcome.approval.status;
};

describe('self-approval bypasses (issue 14)', () => {
  it('refuses bob when bob published the release alice drafted, and lets platform-team stand in', () => {
    const release = releaseEventSchema.parse(
      releasePayload({ repository: 'acme/orders-api', tag: 'v1', author: 'alice', publisher: 'bob' }),
    );
    const intent = interpretRelease(release);
    if (intent.kind !== 'deploy-prod') throw new Error(intent.kind);
    const approval = approvalFor([requesterFor(alice, intent.author), requesterFor(bob, intent.publisher)]);
    expect(outcomeOf(approval, voterOf(bob))).toBe('self-approval');
    expect(outcomeOf(approval, voterOf(alice))).toBe('self-approval');
    expect(approval.eligibleTeams).toEqual(['payments', 'platform-team']);
    expect(outcomeOf(approval, voterOf(carol))).toBe('APPROVED');
  });

  it('needs two approvals when a bot published the release, so the human behind it cannot ship it alone', () => {
    const bot = { login: 'release-please[bot]', id: 41898282, type: 'Bot' };
    const approval = approvalFor([requesterFor(undefined, bot)]);
    expect(approval.quorum).toBe(2);
    const first = castVote(approval, voterOf(alice), { decision: 'APPROVE', via: 'slack' }, LATER);
    expect(first.kind).toBe('recorded');
    if (first.kind !== 'recorded') return;
    expect(outcomeOf(first.approval, voterOf(bob))).toBe('APPROVED');
  });

  it('refuses alice when the release author is Alice with a capital A', () => {
    const approval = approvalFor([requesterFor(undefined, { login: 'Alice' })]);
    expect(outcomeOf(approval, voterOf(alice))).toBe('self-approval');
    expect(outcomeOf(approval, voterOf(bob))).toBe('APPROVED');
  });

  it.each([
    // Alice's Keycloak account is not linked to GitHub, so her person has no GitHub identity.
    ['has no GitHub link', { id: 'alice', username: 'alice', teams: ['payments'] }],
    // Alice re-linked Keycloak to a second GitHub account, so the directory no longer knows the first.
    ['is linked to another GitHub account', person('alice', ['payments'], 'alice-other')],
  ] satisfies [string, Person][])(
    'needs another approver when the release author is a GitHub account nobody in the directory holds and its owner %s',
    (_case, aliceAsVoter) => {
      const author = { login: 'alice-gh', id: 5001, type: 'User' };
      const approval = approvalFor([requesterFor(undefined, author)]);
      const first = castVote(approval, voterOf(aliceAsVoter), { decision: 'APPROVE', via: 'portal' }, LATER);
      expect(first.kind).toBe('recorded');
      if (first.kind !== 'recorded') return;
      expect(first.approval.termsNote).toContain('nobody in the directory is GitHub user alice-gh');
      expect(outcomeOf(first.approval, voterOf(bob))).toBe('APPROVED');
    },
  );

  it('asks for one more approval to continue an inconclusive bake of a release nobody in the directory published, as its PROD approval did', async () => {
    const { deployment } = manualDeployment({ id: 'd-stranger', environment: 'prod', version: 'v3', now: NOW });
    const baking: Deployment = {
      ...deployment,
      status: 'IN_PROGRESS',
      requesters: [requesterFor(undefined, { login: 'alice-gh', id: 5001, type: 'User' })],
    };
    const members: Record<string, Person[]> = { payments: [alice, bob], 'platform-team': [carol] };
    const { request } = await prepareBakeDecision(
      {
        deployments: { get: () => Promise.resolve(baking) } as unknown as DeploymentStore,
        catalog: {
          getService: () => Promise.resolve(undefined),
          membersOf: (team: string) => Promise.resolve(members[team] ?? []),
        } as unknown as CatalogStore,
      },
      { deploymentId: baking.id, region: 'us-east-1' },
    );
    expect(request.terms?.quorum).toBe(2);
    expect(request.terms?.note).toContain('nobody in the directory is GitHub user alice-gh');
  });

  it('keeps one approval for a GitHub login recorded on a member without a user id', () => {
    const approval = approvalFor([requesterFor(undefined, { login: 'Alice', id: 5002 })]);
    expect(approval.quorum).toBe(1);
    expect(outcomeOf(approval, voterOf(alice))).toBe('self-approval');
  });

  it('needs another approver when the author took a login a member gave up: their user ids differ', () => {
    const xavier: Person = { id: 'xavier', teams: ['payments'], github: { login: 'xv', id: 10 } };
    const requesters = [requesterFor(undefined, { login: 'xv', id: 20 })];
    const terms = approvalTermsFor('prod-deploy', 'payments', requesters, { payments: [alice, bob, xavier] });
    expect(terms.quorum).toBe(2);
  });

  it("refuses a token with sub=alice and preferred_username=alice2 on alice's own deployment", () => {
    const caller = callerFromClaims({ sub: 'alice', preferred_username: 'alice2', groups: '[payments]' });
    expect(caller).toMatchObject({ id: 'alice', name: 'alice2' });
    const approval = approvalFor([{ personId: 'alice', name: 'alice', bot: false }]);
    expect(outcomeOf(approval, { id: caller.id, name: caller.name, teams: caller.groups ?? [] })).toBe('self-approval');
  });
});

describe('teams from tokens as API Gateway passes them', () => {
  it.each([
    ['"[payments]"', '[payments]', ['payments']],
    ['"[a payments b]"', '[a payments b]', ['a', 'payments', 'b']],
    ['/payments', '/payments', ['payments']],
    ['"[/payments /platform-team]"', '[/payments /platform-team]', ['payments', 'platform-team']],
    ['a real array with full paths', ['/payments', '/storefront'], ['payments', 'storefront']],
    ['an empty array claim', '[]', []],
  ])('reads %s', (_name, claim, teams) => {
    expect(teamsFromGroupsClaim(claim)).toEqual(teams);
    expect(callerFromClaims({ sub: 'frank', groups: claim }).groups).toEqual(teams);
  });

  it("keeps the directory's teams when the token carries no groups claim", () => {
    expect(callerFromClaims({ sub: 'frank' }).groups).toBeUndefined();
    expect(
      personFromSignIn(
        person('frank', ['payments']),
        { id: 'frank', username: 'frank', github: { login: 'frank' } },
        NOW,
      ),
    ).toBeUndefined();
  });

  it('records an unverified email as no email', () => {
    expect(callerFromClaims({ sub: 'frank', email: 'alice@acme.test', email_verified: 'false' }).email).toBeUndefined();
  });

  it('records no email from a token that does not say it is verified: the email links Slack users to people', () => {
    expect(callerFromClaims({ sub: 'frank', email: 'carol@acme.test' }).email).toBeUndefined();
    expect(callerFromClaims({ sub: 'frank', email: 'frank@acme.test', email_verified: true }).email).toBe(
      'frank@acme.test',
    );
    expect(callerFromClaims({ sub: 'frank', email: 'frank@acme.test', email_verified: 'true' }).email).toBe(
      'frank@acme.test',
    );
  });

  it('does not make the members of a group named "not platform-team" platform-team, as API Gateway passes full paths', () => {
    const claim = '[/payments /not platform-team]';
    expect(teamsFromGroupsClaim(claim)).toEqual(['payments', 'not platform-team']);
    expect(callerFromClaims({ sub: 'mallory', groups: claim }).groups).not.toContain('platform-team');
    expect(teamsFromGroupsClaim(['/payments', '/not platform-team'])).toEqual(['payments', 'not platform-team']);
  });

  it.each([
    ['a real array', ['/vendor/platform-team', '/vendor']],
    ['as API Gateway passes it', '[/vendor/platform-team /vendor]'],
    ['a subgroup of a team', '[/payments/platform-team]'],
  ])(
    'does not read /…/platform-team, which whoever manages the group above can create, as platform-team: %s',
    (_shape, claim) => {
      expect(teamsFromGroupsClaim(claim)).not.toContain('platform-team');
      expect(callerFromClaims({ sub: 'mallory', groups: claim }).groups).not.toContain('platform-team');
    },
  );

  describe('as API Gateway flattens them, beside the token it verified', () => {
    // What the Authorization header holds; API Gateway checked its signature before the function ran.
    const bearer = (payload: Record<string, unknown>) => `Bearer ${new UnsecuredJWT(payload).encode()}`;

    it.each([
      ['a comma', '/vendor/x,/platform-team'],
      ['a space', '/vendor/x /platform-team'],
    ])(
      'does not read a group whose name ends in %s before a / as two groups, one of them platform-team',
      (_what, group) => {
        const flattened = { sub: 'mallory', groups: `[${group}]` };
        expect(callerFromClaims(flattened).groups).toContain('platform-team');
        const claims = withVerifiedGroups(flattened, bearer({ sub: 'mallory', groups: [group] }));
        expect(callerFromClaims(claims).groups).toEqual([]);
      },
    );

    it("takes the verified token's array, and keeps the directory's teams when no token confirms the string", () => {
      const flattened = { sub: 'frank', groups: '[/payments /storefront]' };
      const groups = ['/payments', '/storefront'];
      expect(callerFromClaims(withVerifiedGroups(flattened, bearer({ sub: 'frank', groups }))).groups).toEqual([
        'payments',
        'storefront',
      ]);
      for (const authorization of [undefined, 'Bearer not-a-jwt', bearer({ sub: 'mallory', groups })])
        expect(callerFromClaims(withVerifiedGroups(flattened, authorization)).groups).toBeUndefined();
    });
  });

  it('reads teams as the direct subgroups of the team group parent, and no other group', () => {
    const claim = '[/org/payments /storefront /org/payments/oncall /org /vendor/org/platform-team]';
    expect(teamsFromGroupsClaim(claim, '/org')).toEqual(['payments']);
    expect(callerFromClaims({ sub: 'frank', groups: claim }, '/org').groups).toEqual(['payments']);
    expect(teamsFromGroupsClaim(claim)).toEqual(['storefront', 'org']);
  });

  it.each(['org', '/org/', '//org', '/org//teams'])('stops at cold start on a team group parent of "%s"', (parent) => {
    expect(() => teamGroupParentFrom({ [ENV.teamGroupParent]: parent })).toThrow(
      `${ENV.teamGroupParent} must be a Keycloak group path such as / or /org, got "${parent}"`,
    );
  });

  it('takes top-level groups as the teams when no team group parent is set', () => {
    expect(teamGroupParentFrom({})).toBe('/');
    expect(teamGroupParentFrom({ [ENV.teamGroupParent]: '/acme/teams' })).toBe('/acme/teams');
  });
});

describe('small teams', () => {
  it("lets platform-team members count toward storefront's prod-deploy approval, and says so", () => {
    const approval = approvalFor([requesterFor(erin, { login: 'erin' })], 'storefront');
    expect(approval.eligibleTeams).toEqual(['storefront', 'platform-team']);
    expect(approval.termsNote).toContain('platform-team members count toward it');
    expect(outcomeOf(approval, voterOf(carol))).toBe('APPROVED');
  });

  it('keeps the plain policy when the team has enough approvers', () => {
    const approval = approvalFor([requesterFor(alice, { login: 'alice' })]);
    expect(approval.eligibleTeams).toEqual(['payments']);
    expect(approval.termsNote).toBeUndefined();
    expect(outcomeOf(approval, voterOf(carol))).toBe('not-allowed');
  });
});

describe('deploy-hml from forks and outsiders', () => {
  it("does not redeploy on a push to a fork's pull request", () => {
    const push = pullRequestEventSchema.parse(
      pullRequestPayload({
        repository: 'acme/orders-api',
        number: 7,
        headSha: 'a'.repeat(40),
        action: 'synchronize',
        labels: ['deploy-hml'],
        sender: 'mallory',
        fork: 'mallory/orders-api',
        authorAssociation: 'CONTRIBUTOR',
      }),
    );
    expect(interpretPullRequest(push)).toMatchObject({
      kind: 'ignored',
      reason: expect.stringContaining('labels it deploy-hml again') as string,
    });
  });

  it("deploys a fork's pull request when somebody labels it, naming the label's sender as the requester", () => {
    const label = pullRequestEventSchema.parse(
      pullRequestPayload({
        repository: 'acme/orders-api',
        number: 7,
        headSha: 'a'.repeat(40),
        action: 'labeled',
        label: 'deploy-hml',
        labels: ['deploy-hml'],
        sender: 'alice',
        author: 'mallory',
        fork: 'mallory/orders-api',
        authorAssociation: 'CONTRIBUTOR',
      }),
    );
    expect(interpretPullRequest(label)).toMatchObject({ kind: 'deploy-hml', sender: { login: 'alice' } });
  });
});

describe('no person ever counts toward the approval of their own change', () => {
  const ids = ['p1', 'p2', 'p3', 'p4', 'p5', 'p6'];
  const teams = ['payments', 'storefront', 'platform-team'];
  const identity = fc.record({
    id: fc.constantFrom(...ids),
    teams: fc.subarray(teams),
    // The same person may show up with their GitHub login in any case.
    loginCase: fc.constantFrom<'lower' | 'upper' | 'mixed'>('lower', 'upper', 'mixed'),
  });
  const loginOf = (id: string, shape: 'lower' | 'upper' | 'mixed') =>
    shape === 'lower' ? `gh-${id}` : shape === 'upper' ? `GH-${id.toUpperCase()}` : `Gh-${id}`;

  it('holds for random directories, requesters (people, bare GitHub logins, bots) and vote sequences', () => {
    fc.assert(
      fc.property(
        fc.constantFrom<ApprovalPolicyName>('prod-deploy', 'hml-resource', 'prod-resource', 'bake-decision'),
        fc.constantFrom(...teams),
        fc.array(fc.record({ id: fc.constantFrom(...ids), teams: fc.subarray(teams) }), { minLength: 1, maxLength: 6 }),
        fc.array(fc.record({ who: identity, asPerson: fc.boolean(), bot: fc.boolean() }), { maxLength: 3 }),
        fc.array(fc.tuple(identity, fc.constantFrom<'APPROVE' | 'REJECT'>('APPROVE', 'APPROVE', 'REJECT')), {
          maxLength: 10,
        }),
        (policy, team, directory, requesterDraws, votes) => {
          const people = new Map(
            directory.map((entry) => [
              entry.id,
              { id: entry.id, teams: entry.teams, github: { login: loginOf(entry.id, 'lower') } } satisfies Person,
            ]),
          );
          const requesters: Requester[] = requesterDraws.map(({ who, asPerson, bot }) =>
            bot
              ? { github: { login: 'release-bot[bot]' }, name: 'release-bot[bot]', bot: true }
              : asPerson
                ? { personId: who.id, name: who.id, bot: false }
                : { github: { login: loginOf(who.id, who.loginCase) }, name: who.id, bot: false },
          );
          const humanRequesterIds = new Set(requesterDraws.filter((draw) => !draw.bot).map((draw) => draw.who.id));
          const membersByTeam = Object.fromEntries(
            teams.map((name) => [name, [...people.values()].filter((entry) => entry.teams.includes(name))]),
          );
          let approval = newApproval({
            id: 'a',
            policy,
            team,
            requestedBy: 'x',
            requesters,
            terms: approvalTermsFor(policy, team, requesters, membersByTeam),
            subject: { kind: 'deployment', id: 'd', summary: 's', binding: 'b' },
            now: NOW,
          });
          for (const [who, decision] of votes) {
            const voter: Voter = {
              id: who.id,
              name: who.id,
              teams: who.teams,
              github: { login: loginOf(who.id, who.loginCase) },
            };
            const outcome = castVote(approval, voter, { decision, via: 'portal' }, LATER);
            if (humanRequesterIds.has(who.id)) expect(outcome.kind).toBe('refused');
            if (outcome.kind !== 'refused') approval = outcome.approval;
          }
          const counted = approval.votes.filter((recorded) => recorded.decision === 'APPROVE');
          for (const recorded of counted) {
            expect(humanRequesterIds.has(recorded.voter)).toBe(false);
            expect(
              isRequester(approval.requesters, {
                id: recorded.voter,
                ...(recorded.githubLogin ? { github: { login: recorded.githubLogin } } : {}),
              }),
            ).toBe(false);
          }
          if (approval.status === 'APPROVED') {
            expect(quorumReached(approval)).toBe(true);
            expect(new Set(counted.map((recorded) => recorded.voter)).size).toBeGreaterThanOrEqual(
              approval.quorum ?? 1,
            );
          }
        },
      ),
      { numRuns: 500 },
    );
  });
});

describe('the person behind a GitHub account', () => {
  const directoryOf = (people: Person[]) =>
    ({
      findPerson: (identity: { kind: string; value: string }) =>
        Promise.resolve(
          people.find((who) =>
            identitiesOf(who).some((own) => own.kind === identity.kind && own.value === identity.value.toLowerCase()),
          ),
        ),
    }) as unknown as CatalogStore;
  const aliceWithId: Person = { id: 'alice', teams: ['payments'], github: { login: 'alice', id: 42 } };

  it("is not alice for a new account that took the login alice gave up: GitHub frees a renamed account's login", async () => {
    const catalog = directoryOf([aliceWithId]);
    expect(await personForGithubAccount({ catalog }, { login: 'alice', id: 999 })).toBeUndefined();
    expect(await personForGithubAccount({ catalog }, { login: 'Alice', id: 42 })).toMatchObject({ id: 'alice' });
  });

  it('is found by login when the directory or the event has no user id', async () => {
    const catalog = directoryOf([aliceWithId, person('bob', ['payments'])]);
    expect(await personForGithubAccount({ catalog }, { login: 'alice' })).toMatchObject({ id: 'alice' });
    expect(await personForGithubAccount({ catalog }, { login: 'bob', id: 7 })).toMatchObject({ id: 'bob' });
  });
});

describe('recording a sign-in', () => {
  it('keeps a Slack link made between reading the person and writing the sign-in', async () => {
    const read: Person = { id: 'alice', username: 'alice', teams: ['payments'] };
    const linkedMeanwhile: Person = { ...read, slackUserId: 'UALICE' };
    let written: Person | undefined;
    const catalog = {
      getPerson: () => Promise.resolve(read),
      findPerson: () => Promise.resolve(undefined),
      updatePerson: (_id: string, decide: (current: Person | undefined) => Person | undefined) => {
        written = decide(linkedMeanwhile);
        return Promise.resolve(written ?? linkedMeanwhile);
      },
    } as unknown as CatalogStore;
    const caller = callerFromClaims({ sub: 'alice', groups: '[/payments /storefront]' });
    const person = await recordSignIn({ catalog, clock: { now: () => NOW } }, caller);
    expect(written).toMatchObject({ slackUserId: 'UALICE', teams: ['payments', 'storefront'] });
    expect(person).toMatchObject({ slackUserId: 'UALICE' });
  });
});
