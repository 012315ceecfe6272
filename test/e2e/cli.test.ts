import { execFile } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LocalRuntime } from '../../infra/local/runtime.js';
import { startTestRuntime } from '../support/local-runtime.js';

const exec = promisify(execFile);
const CLI = join(import.meta.dirname, '..', '..', 'dist', 'cli.mjs');

let runtime: LocalRuntime;
let stop: () => Promise<void>;

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/** The bundled CLI as a person runs it: its own process, piped output, the environment it reads. */
async function flightplan(args: string[], env: Record<string, string> = {}): Promise<Run> {
  try {
    const { stdout, stderr } = await exec(process.execPath, [CLI, ...args], {
      env: {
        PATH: process.env['PATH'] ?? '',
        FLIGHTPLAN_URL: runtime.url,
        FLIGHTPLAN_DATA_DIR: runtime.dataDir,
        ...env,
      },
      timeout: 50_000,
    });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failed = error as { code?: number; stdout?: string; stderr?: string };
    return {
      code: typeof failed.code === 'number' ? failed.code : -1,
      stdout: failed.stdout ?? '',
      stderr: failed.stderr ?? '',
    };
  }
}

const json = (run: Run): unknown => JSON.parse(run.stdout);

async function until<T>(read: () => Promise<T | undefined>, what: string): Promise<T> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const value = await read();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`gave up waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** The approval bob is asked for on orders-api `version`, once the release has asked for it. */
const approvalOf = (version: string) =>
  until(
    async () =>
      (
        json(await flightplan(['approvals', '--json', '--as', 'bob'])) as {
          items: { id: string; subject: { summary: string } }[];
        }
      ).items.find((item) => item.subject.summary.includes(version)),
    'the approval',
  );

interface Listed {
  items: { id: string; version: string; status: string }[];
}

const deploymentOf = (service: string, environment: string, version: string) =>
  until(
    async () =>
      (
        json(
          await flightplan(['deployments', '--service', service, '--env', environment, '--json', '--as', 'bob']),
        ) as Listed
      ).items.find((item) => item.version === version),
    `${service} ${version}`,
  );

beforeAll(async () => {
  await exec(process.execPath, [join(import.meta.dirname, '..', '..', 'cli', 'build.mjs')]);
  ({ runtime, stop } = await startTestRuntime());
});

afterAll(async () => {
  await stop();
});

describe('flightplan CLI against the local runtime', () => {
  it('mints a local token that the runtime accepts, with the email and groups asked for', async () => {
    const minted = await flightplan([
      'local',
      'token',
      '--sub',
      'carol',
      '--email',
      'carol@acme.example',
      '--group',
      'platform-team',
    ]);
    expect(minted.code).toBe(0);
    const claims = await runtime.issuer.verify(minted.stdout.trim());
    expect(claims).toMatchObject({ sub: 'carol', email: 'carol@acme.example', groups: ['platform-team'] });
    const services = await flightplan(['services'], { FLIGHTPLAN_TOKEN: minted.stdout.trim() });
    expect(services.code).toBe(0);
    expect(services.stdout).toMatch(/^NAME +TEAM +TIER +STATUS +REPOSITORY$/mu);
    expect(services.stdout).toMatch(/^orders-api +payments +T1 +ACTIVE +acme\/orders-api$/mu);
  });

  it.each([
    ['an unknown command', ['frobnicate']],
    ['a missing argument', ['show']],
    ['an unknown option', ['deployments', '--colour']],
    ['override without a reason', ['override', 'some-id']],
    [
      'a local command against a remote URL',
      ['local', 'token', '--sub', 'alice'],
      { FLIGHTPLAN_URL: 'https://flightplan.acme.example' },
    ],
  ])('exits 2 on %s, printing the usage', async (_case, args, env: Record<string, string> = {}) => {
    const run = await flightplan(args, env);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('Exit codes: 0 success');
  });

  it('exits 1 when the API refuses, with the problem title and detail', async () => {
    const run = await flightplan(['deploy', 'orders-api', 'prod', 'v1.0.0', '--as', 'erin']);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('Not allowed: erin is neither in payments nor in platform-team');
  });

  it('exits 1 with a hint when there is no token', async () => {
    const run = await flightplan(['approvals']);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('Authentication failed');
    expect(run.stderr).toContain('--as <login>');
  });

  it('labels a pull request, follows the HML deploy with one line per change, and shows what is live', async () => {
    const labelled = await flightplan(['local', 'label', 'acme/orders-api', '--pr', '7', '--by', 'alice']);
    expect(labelled.code, labelled.stderr).toBe(0);
    expect(labelled.stdout).toContain('pull_request delivered: 202');
    const listed = await until(
      async () =>
        (
          json(
            await flightplan(['deployments', '--service', 'orders-api', '--env', 'hml', '--json', '--as', 'bob']),
          ) as Listed
        ).items[0],
      'the HML deployment',
    );

    const watched = await flightplan(['watch', listed.id, '--as', 'bob', '--interval', '100']);
    expect(watched.code, watched.stdout + watched.stderr).toBe(0);
    const lines = watched.stdout.trim().split('\n');
    expect(lines.at(-1)).toBe('SUCCEEDED');
    expect(new Set(lines).size).toBe(lines.length);
    expect(watched.stdout).not.toContain('\u001b[');

    const status = await flightplan(['status', 'orders-api', '--as', 'bob']);
    expect(status.stdout).toMatch(
      new RegExp(`^orders-api +hml +us-east-1 +${listed.version.replace(/[.+]/gu, '\\$&')} `, 'mu'),
    );
    const live = json(await flightplan(['status', 'orders-api', '--json', '--as', 'bob'])) as {
      regions: { environment: string; version: string }[];
    };
    expect(live.regions.find((region) => region.environment === 'hml')?.version).toBe(listed.version);
  });

  it('plans, releases, approves from the CLI and watches a PROD rollout reach SUCCEEDED without repeating the bake countdown', async () => {
    const plan = await flightplan(['plan', 'orders-api', 'prod', 'v2.0.0', '--as', 'alice']);
    expect(plan.code).toBe(0);
    expect(plan.stdout).toContain('may approve now: bob');
    expect(plan.stdout).toContain('bake 30m');

    expect((await flightplan(['local', 'release', 'acme/orders-api', 'v2.0.0', '--by', 'alice'])).code).toBe(0);
    const approval = await approvalOf('v2.0.0');
    const mine = await flightplan(['approvals', '--as', 'bob']);
    expect(mine.stdout).toContain(approval.id);
    expect((await flightplan(['approvals', '--as', 'alice'])).stdout).toContain('Nothing waits on you.');
    const approved = await flightplan(['approve', approval.id, '--comment', 'ship it', '--as', 'bob']);
    expect(approved.stdout).toContain('is APPROVED');

    const deployment = await deploymentOf('orders-api', 'prod', 'v2.0.0');
    const watched = await flightplan(['watch', deployment.id, '--as', 'bob', '--interval', '50']);
    expect(watched.code).toBe(0);
    expect(watched.stdout).not.toContain('left of');
    const lines = watched.stdout.trim().split('\n');
    expect(new Set(lines).size).toBe(lines.length);
    expect(watched.stdout).toContain('us-east-1 baked for 30 min');

    const shown = await flightplan(['show', deployment.id, '--as', 'bob']);
    expect(shown.stdout).toMatch(/^us-east-1 +SUCCEEDED +30m +live [0-9a-f]{12}/mu);
    expect(shown.stdout).toContain('APPROVE by bob: ship it');
  });

  it('shows a rolled-back wave as the digest put back, never as "old → new"', async () => {
    expect((await flightplan(['local', 'health', 'orders-api', 'prod', 'sa-east-1', '--p99', '412'])).code).toBe(0);
    try {
      await flightplan(['local', 'release', 'acme/orders-api', 'v2.1.0', '--by', 'alice']);
      const approval = await approvalOf('v2.1.0');
      await flightplan(['approve', approval.id, '--as', 'bob']);
      const deployment = await deploymentOf('orders-api', 'prod', 'v2.1.0');
      const watched = await flightplan(['watch', deployment.id, '--json', '--as', 'bob', '--interval', '50']);
      expect(watched.code).toBe(1);
      const changes = watched.stdout
        .trim()
        .split('\n')
        .map((line) => JSON.parse(line) as { status: string; final?: boolean });
      expect(changes.at(-1)).toMatchObject({ status: 'ROLLED_BACK', final: true });

      const shown = await flightplan(['show', deployment.id, '--as', 'bob']);
      expect(shown.stdout).toMatch(
        /^us-east-1 +ROLLED_BACK +30m +live [0-9a-f]{12} again \([0-9a-f]{12} rolled back\)/mu,
      );
      expect(shown.stdout).not.toMatch(/[0-9a-f]{12} *(→|->) *[0-9a-f]{12}/u);
      const status = await flightplan(['status', 'orders-api', '--as', 'bob']);
      expect(status.stdout).toMatch(/^orders-api +prod +us-east-1 +v2\.0\.0 /mu);
    } finally {
      await flightplan(['local', 'health', 'orders-api', 'prod', 'sa-east-1']);
    }
  });

  it('prints a vote comment that holds terminal control sequences as visible escapes, never as terminal commands', async () => {
    await flightplan(['local', 'release', 'acme/orders-api', 'v2.2.0', '--by', 'alice']);
    const approval = await approvalOf('v2.2.0');
    const comment = 'no\u001b[2J\u001b]0;pwned\u0007\rAPPROVED';
    expect((await flightplan(['reject', approval.id, '--comment', comment, '--as', 'bob'])).code).toBe(0);
    const deployment = await deploymentOf('orders-api', 'prod', 'v2.2.0');
    const shown = await until(async () => {
      const run = await flightplan(['show', deployment.id, '--as', 'bob']);
      return run.stdout.includes('REJECT by bob') ? run : undefined;
    }, 'the rejection');
    expect(shown.stdout).toContain('REJECT by bob: no\\u001b[2J\\u001b]0;pwned\\u0007\\u000dAPPROVED');
    for (const control of ['\u001b', '\u0007', '\r']) expect(shown.stdout).not.toContain(control);
  });

  it('audits a service: its deployments, votes and transitions in time order', async () => {
    const audit = await flightplan(['audit', 'orders-api', '--as', 'bob']);
    expect(audit.code).toBe(0);
    expect(audit.stdout).toMatch(/^AT +ACTOR +SUBJECT +WHAT$/mu);
    expect(audit.stdout).toContain('requested by alice');
  });
});

describe('flightplan login', () => {
  let server: Server;
  let issuerUrl = '';
  let polls = 0;
  const seen: string[] = [];

  beforeAll(async () => {
    // A tiny stand-in for Keycloak's device endpoints (RFC 8628), and an API that records the token it gets.
    server = createServer((request, response) => {
      const reply = (status: number, body: unknown) => {
        response.writeHead(status, { 'content-type': 'application/json' });
        response.end(JSON.stringify(body));
      };
      let body = '';
      request.on('data', (chunk: Buffer) => {
        body += chunk.toString();
      });
      request.on('end', () => {
        const form = new URLSearchParams(body);
        if (request.url === '/realms/acme/.well-known/openid-configuration') {
          reply(200, {
            device_authorization_endpoint: `${issuerUrl}/protocol/openid-connect/auth/device`,
            token_endpoint: `${issuerUrl}/protocol/openid-connect/token`,
          });
        } else if (
          request.url === '/realms/acme/protocol/openid-connect/auth/device' &&
          form.get('client_id') === 'flightplan-cli'
        ) {
          reply(200, {
            device_code: 'dev-123',
            user_code: 'WDJB-MJHT',
            verification_uri: `${issuerUrl}/device`,
            verification_uri_complete: `${issuerUrl}/device?user_code=WDJB-MJHT`,
            expires_in: 60,
            interval: 0,
          });
        } else if (
          request.url === '/realms/acme/protocol/openid-connect/token' &&
          form.get('grant_type') === 'urn:ietf:params:oauth:grant-type:device_code' &&
          form.get('device_code') === 'dev-123'
        ) {
          polls += 1;
          if (polls === 1) reply(400, { error: 'authorization_pending' });
          else reply(200, { access_token: 'keycloak-access-token', expires_in: 300, token_type: 'Bearer' });
        } else if (request.url?.startsWith('/v1/services')) {
          seen.push(request.headers.authorization ?? '');
          reply(200, { items: [], nextCursor: null });
        } else {
          reply(404, { error: 'not_found' });
        }
      });
    });
    await new Promise<void>((resolve) =>
      server.listen(0, '127.0.0.1', () => {
        resolve();
      }),
    );
    const address = server.address();
    issuerUrl = `http://127.0.0.1:${address && typeof address === 'object' ? address.port : 0}/realms/acme`;
  });

  afterAll(() => {
    server.close();
  });

  it('gets a token with the device authorization grant, keeps it, and sends it', async () => {
    const config = await mkdtemp(join(tmpdir(), 'flightplan-cli-'));
    try {
      const apiUrl = issuerUrl.replace('/realms/acme', '');
      const loggedIn = await flightplan(['login', '--issuer', issuerUrl], {
        XDG_CONFIG_HOME: config,
        FLIGHTPLAN_URL: apiUrl,
      });
      expect(loggedIn.code, loggedIn.stderr).toBe(0);
      expect(loggedIn.stderr).toContain('enter the code WDJB-MJHT');
      expect(polls).toBe(2);
      const saved = JSON.parse(await readFile(join(config, 'flightplan', 'credentials.json'), 'utf8')) as Record<
        string,
        { accessToken: string }
      >;
      expect(saved[apiUrl]?.accessToken).toBe('keycloak-access-token');
      expect((await flightplan(['services'], { XDG_CONFIG_HOME: config, FLIGHTPLAN_URL: apiUrl })).code).toBe(0);
      expect(seen).toEqual(['Bearer keycloak-access-token']);
    } finally {
      await rm(config, { recursive: true, force: true });
    }
  });
});
