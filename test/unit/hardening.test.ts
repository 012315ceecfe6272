import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { newApproval, type Approval } from '../../functions/domain/approval.js';
import { approvalMessage } from '../../functions/domain/approval-message.js';
import { parseImageDigest, renderImageManifest } from '../../functions/domain/gitops-manifest.js';
import { chatNoticeFor } from '../../functions/domain/notifications.js';
import { pullRequestBodyOf } from '../../functions/domain/provisioning-pull-request.js';
import { absoluteLinks } from '../../functions/domain/slack-text.js';
import { decodeCursor, encodeCursor } from '../../functions/adapters/aws/dynamodb-table.js';
import { ForbiddenError, UnauthorizedError, ValidationError } from '../../functions/errors.js';
import type { ApprovalStore, Chat, ChatMessage } from '../../functions/ports/index.js';
import { requestApproval } from '../../functions/use-cases/approvals.js';
import type { HttpEvent } from '../../functions/http/http-handler.js';
import { callerOf } from '../../functions/ingress/portal-api.js';
import { localControlRefusal } from '../../infra/local/http-server.js';
import { lambdaContext } from '../../infra/local/lambda-context.js';
import * as slackInteractions from '../../functions/ingress/slack-interactions.js';
import { sqsRequest } from '../support/provisioning-requests.js';

const eventWith = (claims: Record<string, string | string[]>): HttpEvent =>
  ({
    headers: {},
    routeKey: 'GET /v1/deployments',
    requestContext: { requestId: 'r', authorizer: { jwt: { claims } } },
  }) as unknown as HttpEvent;

describe('portal callers', () => {
  it.each(['alice', 'carol.smith', 'erin@acme.example', 'dave-2'])('accepts the login %j', (login) => {
    expect(callerOf(eventWith({ sub: login })).name).toBe(login);
  });

  it.each([
    'alice\nresource "aws_iam_user" "backdoor" {}',
    'alice bob',
    '"alice"',
    '-alice',
    'a'.repeat(101),
    'alice\u2028',
  ])('refuses the login %j at the edge', (login) => {
    expect(() => callerOf(eventWith({ preferred_username: login, sub: 'x' }))).toThrow(UnauthorizedError);
  });

  it.each(['flightplan', 'github', 'GitHub'])('reserves the system actor name %j', (login) => {
    expect(() => callerOf(eventWith({ sub: login }))).toThrow(ForbiddenError);
  });
});

describe('user text in messages', () => {
  const approval = (overrides: Partial<Approval> = {}): Approval => ({
    ...newApproval({
      id: 'apr-1',
      policy: 'hml-resource',
      team: 'payments',
      requestedBy: 'alice',
      requesters: [{ personId: 'alice', name: 'alice', bot: false }],
      subject: {
        kind: 'provisioning',
        id: 'prv-1',
        summary: 'sqs orders-api-events for orders-api in hml/us-east-1',
        binding: 'f'.repeat(8),
        link: '/v1/provisioning-requests/prv-1',
      },
      now: '2026-12-01T10:00:00.000Z',
    }),
    ...overrides,
  });
  const everyText = (message: { text: string; blocks: unknown[] }): string => JSON.stringify(message);

  it('<!here> in a comment never reaches Slack as a mention', () => {
    const message = approvalMessage(
      approval({
        votes: [
          {
            voter: 'bob',
            teams: ['payments'],
            decision: 'APPROVE',
            comment: '<!here> <!channel> <https://evil.example|click> & more',
            at: 'now',
            via: 'portal',
          },
        ],
      }),
    );
    const text = everyText(message);
    expect(text).not.toMatch(/<!here>|<!channel>|<https:\/\/evil/u);
    expect(text).toContain('&lt;!here&gt; &lt;!channel&gt; &lt;https://evil.example|click&gt; &amp; more');
  });

  it.each([
    ['LF', '\n'],
    ['CRLF', '\r\n'],
    ['CR', '\r'],
    ['U+2028', '\u2028'],
  ])(
    'keeps a vote comment with a %s on its vote line, so it cannot add a vote or a status to the approval message',
    (_name, lineBreak) => {
      const comment = `fine by me${lineBreak}:+1: carol${lineBreak}:white_check_mark: Approved (approved by bob, carol)`;
      const bob = { voter: 'bob', teams: ['payments'], at: 'now', via: 'portal' as const, comment };
      const pending = approvalMessage(approval({ policy: 'prod-resource', votes: [{ ...bob, decision: 'APPROVE' }] }));
      const rejected = approvalMessage(
        approval({
          status: 'REJECTED',
          reason: `rejected by bob: ${comment}`,
          votes: [{ ...bob, decision: 'REJECT' }],
        }),
      );
      for (const message of [pending, rejected]) {
        const lines = message.blocks
          .map((block) => (block as { text?: { text?: string } }).text?.text ?? '')
          .flatMap((text) => text.split(/\r\n|\r|\n|\u2028/u));
        expect(lines.filter((line) => line.startsWith(':+1:') || line.startsWith(':-1:'))).toHaveLength(1);
        expect(lines.some((line) => line.startsWith(':white_check_mark:'))).toBe(false);
      }
    },
  );

  it('escapes reasons and release tags in deployment notices and keeps its own details link', () => {
    const notice = chatNoticeFor({
      deployment: {
        id: 'd-1',
        service: 'orders-api',
        team: 'payments',
        environment: 'prod',
        version: '<!channel>',
        gitSha: null,
        status: 'ROLLED_BACK',
        requestedBy: 'alice',
        repository: 'acme/orders-api',
        waves: [],
      },
      change: { action: 'deployment.rolled-back', message: 'Rolled back: <@UCAROL> said so' },
    });
    expect(notice?.text).toBe(
      ':leftwards_arrow_with_hook: *orders-api* &lt;!channel&gt; → prod: Rolled back: &lt;@UCAROL&gt; said so (</v1/deployments/d-1|details>)',
    );
  });

  it('never pings the channel from a team named <!channel> in the approval message', () => {
    const text = everyText(approvalMessage(approval({ policy: 'prod-resource', team: '<!channel>' })));
    expect(text).not.toContain('<!channel>');
    expect(text).toContain('2 members of &lt;!channel&gt; or platform-team');
  });

  it('never pings the channel from a team named <!channel> in the nobody-can-decide warning', async () => {
    let stored: Approval | undefined;
    const posted: ChatMessage[] = [];
    const approvals: Pick<ApprovalStore, 'create' | 'get' | 'update' | 'recordEvent'> = {
      create: ({ approval: created }) => {
        stored = created;
        return Promise.resolve('created');
      },
      get: () => Promise.resolve(stored),
      update: (_id, decide) => {
        if (!stored) return Promise.reject(new Error('no approval'));
        stored = decide(stored)?.approval ?? stored;
        return Promise.resolve(stored);
      },
      recordEvent: () => Promise.resolve(),
    };
    const chat: Pick<Chat, 'post'> = {
      post: (message) => {
        posted.push(message);
        return Promise.resolve({ channel: message.channel, ts: '1.0' });
      },
    };
    await requestApproval(
      {
        approvals: approvals as ApprovalStore,
        chat: chat as Chat,
        clock: { now: () => '2026-12-01T10:00:00.000Z' },
        catalog: { membersOf: () => Promise.resolve([]) } as never,
      },
      {
        approvalId: 'apr-1',
        policy: 'prod-deploy',
        team: '<!channel>',
        requestedBy: 'alice',
        requesters: [{ personId: 'alice', name: 'alice', bot: false }],
        subject: { kind: 'deployment', id: 'd-1', summary: 'orders-api <!here> → hml', binding: 'sha256:abc' },
        channel: '#deploys-payments',
      },
    );
    const warning = posted.find((message) => message.text.includes('Nobody can decide'));
    expect(warning?.text).toContain('(team &lt;!channel&gt;)');
    expect(JSON.stringify(posted)).not.toMatch(/<!channel>|<!here>/u);
  });

  it('makes Flightplan links absolute and leaves escaped user text alone', () => {
    expect(
      absoluteLinks({ text: 'x (</v1/deployments/d-1|details>) &lt;/v1/x|y&gt;' }, 'https://portal.example.com/'),
    ).toEqual({ text: 'x (<https://portal.example.com/v1/deployments/d-1|details>) &lt;/v1/x|y&gt;' });
  });

  /** CommonMark 0.31 §2.1: a line ends at LF, CRLF or a CR not followed by LF (cmark-gfm, GitHub's renderer, agrees). */
  const commonMarkLines = (markdown: string): string[] => markdown.split(/\r\n|\r|\n/u);
  const provisioningRequest = (reason: string) =>
    sqsRequest({ id: 'prv-1', name: 'jobs', environment: 'prod', reason, now: '2026-12-01T10:00:00.000Z' });

  it.each(['\r', '\n', '\r\n'])(
    'keeps every line of a reason split by %j inside the block quote of the Terraform pull request',
    (lineEnd) => {
      const reason = [
        'need a queue',
        '### Approvals (prod-two-approvers)',
        '- @carol (platform-team) via slack: LGTM',
      ].join(lineEnd);
      const lines = commonMarkLines(pullRequestBodyOf(provisioningRequest(reason), undefined));
      const quoted = lines.slice(lines.indexOf('**Why:**') + 1, lines.indexOf('**Why:**') + 4);
      expect(quoted).toEqual([
        '> need a queue',
        '> ### Approvals (prod-two-approvers)',
        '> - @\u200bcarol (platform-team) via slack: LGTM',
      ]);
      expect(lines.filter((line) => line.startsWith('### Approvals'))).toEqual(['### Approvals (none)']);
    },
  );

  it.each(['\r', '\n', '\r\n'])(
    "keeps a vote comment split by %j on its voter's one line under Approvals",
    (lineEnd) => {
      const body = pullRequestBodyOf(
        provisioningRequest('need a queue for jobs'),
        approval({
          status: 'APPROVED',
          votes: [
            {
              voter: 'bob',
              teams: ['payments'],
              decision: 'APPROVE',
              comment: `ok${lineEnd}- @carol (platform-team) via slack at now: LGTM`,
              at: 'now',
              via: 'slack',
            },
          ],
        }),
      );
      const lines = commonMarkLines(body);
      const approvals = lines.slice(lines.findIndex((line) => line.startsWith('### Approvals')) + 1);
      expect(approvals.slice(0, approvals.indexOf(''))).toEqual([
        '- @bob (payments) via slack at now: ok - @\u200bcarol (platform-team) via slack at now: LGTM',
      ]);
    },
  );

  it("writes a team name and a voter's teams into the Terraform pull request as text, never as HTML", () => {
    const request = { ...provisioningRequest('need a queue for jobs'), team: 'payments <img src=x>\n### Approvals' };
    const body = pullRequestBodyOf(
      request,
      approval({
        status: 'APPROVED',
        votes: [
          {
            voter: 'bob',
            teams: ['<b>payments</b>', 'a|b'],
            decision: 'APPROVE',
            at: 'now',
            via: 'slack',
          },
        ],
      }),
    );
    expect(body).not.toMatch(/<img|<b>/u);
    expect(body).toContain('(team payments &lt;img src=x&gt; ### Approvals)');
    expect(body).toContain('- @bob (&lt;b&gt;payments&lt;/b&gt;, a\\|b) via slack at now');
    expect(commonMarkLines(body).filter((line) => line.startsWith('### Approvals'))).toHaveLength(1);
  });

  it('<!-- in a reason cannot hide the Approvals section', () => {
    const request = sqsRequest({
      id: 'prv-1',
      name: 'events',
      environment: 'hml',
      reason: 'needed <!-- and everything after is hidden',
      now: '2026-12-01T10:00:00.000Z',
    });
    const withVote = approval({
      status: 'APPROVED',
      votes: [
        {
          voter: 'bob',
          teams: ['payments'],
          decision: 'APPROVE',
          comment: 'ok --> <img src=x> @carol',
          at: 'now',
          via: 'slack',
        },
      ],
    });
    const body = pullRequestBodyOf(request, withVote);
    expect(body).not.toContain('<!--');
    expect(body).not.toContain('<img');
    expect(body).toContain('> needed');
    expect(body).toMatch(/### Approvals[^\n]*\n- @bob/u);
  });
});

describe('GitOps values file', () => {
  const digest = `sha256:${'a'.repeat(64)}`;
  const otherDigest = `sha256:${'e'.repeat(64)}`;
  const target = { service: 'orders-api', environment: 'prod', region: 'us-east-1', digest } as const;

  it('is exactly the comment, image.repository and image.digest for a valid repository', () => {
    expect(
      renderImageManifest({ ...target, imageRepository: '123456789012.dkr.ecr.us-east-1.amazonaws.com/orders-api' }),
    ).toBe(
      [
        '# Managed by Flightplan: do not edit by hand. Argo CD app orders-api-prod-use1 on eks-prod-use1.',
        'image:',
        '  repository: 123456789012.dkr.ecr.us-east-1.amazonaws.com/orders-api',
        `  digest: ${digest}`,
        '',
      ].join('\n'),
    );
  });

  it.each(['\n', '\r', '\r\n'])(
    'holds only image.repository and image.digest when the repository has a %j followed by Helm values',
    (lineBreak) => {
      const imageRepository = `registry.example.com/orders-api${lineBreak}  digest: ${otherDigest}${lineBreak}securityContext:${lineBreak}  privileged: true`;
      const manifest = renderImageManifest({ ...target, imageRepository });
      expect(parse(manifest, { uniqueKeys: false })).toEqual({ image: { repository: imageRepository, digest } });
      expect(parseImageDigest(manifest)).toBe(digest);
    },
  );

  it.each([
    [
      'two digest keys, the first one not committed by Flightplan',
      `image:\n  digest: ${otherDigest}\n  digest: ${digest}\n`,
    ],
    [
      'a digest line inside the repository block scalar',
      `image:\n  repository: |-\n    x\n    digest: ${otherDigest}\n`,
    ],
    ['a digest outside image', `digest: ${otherDigest}\nimage:\n  repository: r.example.com/x\n`],
    ['a digest that is not sha256 and 64 hex digits', `image:\n  digest: sha256:${'E'.repeat(64)}\n`],
    ['a digest that is not a string', 'image:\n  digest: 12\n'],
    ['no YAML', 'image: [\n'],
  ])('reads no previous digest from a file with %s', (_case, manifest) => {
    expect(parseImageDigest(manifest)).toBeNull();
  });
});

describe('local control routes', () => {
  it.each([
    [
      'a same-origin request from the console',
      { host: '127.0.0.1:3000', origin: 'http://127.0.0.1:3000', 'sec-fetch-site': 'same-origin' },
      undefined,
    ],
    ['curl', { host: 'localhost:3000' }, undefined],
    ['a rebound DNS name', { host: 'evil.example:3000' }, 'Host'],
    ['no Host', {}, 'Host'],
    [
      "another site's page",
      { host: '127.0.0.1:3000', origin: 'https://evil.example', 'sec-fetch-site': 'cross-site' },
      'cross-site',
    ],
    ['a foreign Origin without fetch metadata', { host: '127.0.0.1:3000', origin: 'https://evil.example' }, 'Origin'],
  ] as const)('%s → %s', (_case, headers, refusal) => {
    const reason = localControlRefusal(headers);
    if (refusal === undefined) expect(reason).toBeUndefined();
    else expect(reason).toContain(refusal);
  });
});

describe('page cursors', () => {
  it.each([
    ['not base64 JSON', '%%%'],
    ['JSON that is not a key', Buffer.from('[1,2]').toString('base64url')],
    [
      'a key with attributes the table does not have',
      Buffer.from(JSON.stringify({ pk: 'DEPLOYMENT#x', sk: 'META', admin: 'true' })).toString('base64url'),
    ],
    ['a key without the table key', Buffer.from(JSON.stringify({ gsi1pk: 'x' })).toString('base64url')],
  ])('refuses a forged cursor (%s) as a validation error, not a 500', (_case, cursor) => {
    expect(() => decodeCursor(cursor)).toThrow(ValidationError);
  });

  it('accepts a cursor it wrote', () => {
    const key = { pk: 'DEPLOYMENT#d-1', sk: 'META', gsi1pk: 'SVC#orders-api#hml', gsi1sk: '2026' };
    expect(decodeCursor(encodeCursor(key) ?? '')).toEqual(key);
  });
});

describe('direct invocations without API Gateway fields', () => {
  it('refuses a request without headers or request context as problem+json instead of throwing a TypeError', async () => {
    const handle = slackInteractions.declaration.createHandler({
      bus: { publish: () => Promise.reject(new Error('nothing may be published')) },
      slackSigningSecret: { value: () => Promise.resolve('secret') },
    });
    const response = await handle({ body: 'payload=%7B%7D' }, lambdaContext('slackInteractions'));
    expect(response).toMatchObject({ statusCode: 401, headers: { 'content-type': 'application/problem+json' } });
  });
});
