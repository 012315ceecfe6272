import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { secretsManager } from '../../functions/adapters/aws/ports/secrets.js';

/** Every Octokit made, by the options it was made with. */
const made = vi.hoisted(() => [] as unknown[]);

/** Every Slack client made, by its token. */
const slackClients = vi.hoisted(() => [] as unknown[]);

vi.mock('@slack/web-api', () => ({
  WebClient: class {
    readonly chat = { postMessage: () => Promise.resolve({ ok: true, ts: '1.0', channel: 'C1' }) };

    constructor(token: unknown) {
      slackClients.push(token);
    }
  },
}));

vi.mock('@octokit/core', () => ({
  Octokit: class {
    readonly request = () => Promise.reject(Object.assign(new Error('Not Found'), { status: 404 }));

    constructor(options: unknown) {
      made.push(options);
    }
  },
}));

const ENVIRONMENT = {
  FLIGHTPLAN_GITHUB_APP_ID: '123456',
  FLIGHTPLAN_GITHUB_APP_INSTALLATION_ID: '12345678',
  FLIGHTPLAN_GITHUB_APP_PRIVATE_KEY_SECRET_ARN: 'arn:aws:secretsmanager:us-east-1:123456789012:secret:github-app',
  FLIGHTPLAN_GITOPS_REPOSITORY: 'acme/gitops',
};

/**
 * A function builds its ports on its first invocation; one that reaches GitHub on some paths only
 * (a wave held by a freeze window, a change with no GitHub deployment) must not pay for Octokit on
 * the others.
 */
describe('the GitHub ports on AWS', () => {
  beforeEach(() => {
    made.length = 0;
    for (const [name, value] of Object.entries(ENVIRONMENT)) vi.stubEnv(name, value);
  });
  afterEach(() => {
    vi.unstubAllEnvs();
  });

  it('make no Octokit until the port first reaches GitHub, and one after', async () => {
    const { gitops } = await import('../../functions/adapters/aws/ports/gitops.js');
    const port = gitops();
    expect(made).toHaveLength(0);
    await port.readImageDigest({ service: 'orders-api', environment: 'hml', region: 'us-east-1' });
    await port.readImageDigest({ service: 'orders-api', environment: 'prod', region: 'us-east-1' });
    expect(made).toHaveLength(1);
  });

  it('still refuse to start without the App key secret, before any Octokit exists', async () => {
    vi.stubEnv('FLIGHTPLAN_GITHUB_APP_PRIVATE_KEY_SECRET_ARN', '');
    const { githubDeployments } = await import('../../functions/adapters/aws/ports/github-deployments.js');
    expect(() => githubDeployments()).toThrow(/FLIGHTPLAN_GITHUB_APP_PRIVATE_KEY_SECRET_ARN/u);
    expect(made).toHaveLength(0);
  });
});

describe('the Slack port on AWS', () => {
  beforeEach(() => {
    slackClients.length = 0;
    vi.stubEnv('FLIGHTPLAN_SLACK_BOT_TOKEN_SECRET_ARN', 'arn:aws:secretsmanager:us-east-1:123456789012:secret:slack');
    vi.stubEnv('FLIGHTPLAN_PORTAL_URL', 'https://flightplan.example.com');
  });
  afterEach(() => {
    vi.unstubAllEnvs();
    vi.restoreAllMocks();
  });

  it('tries the bot token again on the next message after Secrets Manager failed once', async () => {
    vi.spyOn(secretsManager, 'get')
      .mockRejectedValueOnce(new Error('ThrottlingException: Rate exceeded'))
      .mockResolvedValue('xoxb-test');
    const { chat } = await import('../../functions/adapters/aws/ports/chat.js');
    const port = chat();
    expect(slackClients).toHaveLength(0);
    await expect(port.post({ channel: '#payments', text: 'first' })).rejects.toThrow(/Rate exceeded/u);
    await expect(port.post({ channel: '#payments', text: 'second' })).resolves.toEqual({ channel: 'C1', ts: '1.0' });
    await port.post({ channel: '#payments', text: 'third' });
    expect(slackClients).toEqual(['xoxb-test']);
  });
});
