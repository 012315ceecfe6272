import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { releasePayload, signedDelivery } from '../../infra/local/github-payloads.js';
import type { LocalRuntime } from '../../infra/local/runtime.js';
import { portalClient, startTestRuntime } from '../support/local-runtime.js';

let runtime: LocalRuntime;
let stop: () => Promise<void>;

beforeAll(async () => {
  // One day in one second: the 24-hour approval expiry is what this file is about.
  ({ runtime, stop } = await startTestRuntime(86_400));
});

afterAll(async () => {
  await stop();
});

describe('approval expiry', () => {
  it('expires an approval nobody decided and ends the deployment REJECTED', async () => {
    const delivery = await signedDelivery(
      'local-github-secret',
      'release',
      releasePayload({ repository: 'acme/orders-api', tag: 'v9.0.0', author: 'alice' }),
    );
    await fetch(`${runtime.url}/webhooks/github`, { method: 'POST', headers: delivery.headers, body: delivery.body });
    const portal = portalClient(runtime, await runtime.issuer.sign({ sub: 'bob' }));
    const deployment = await portal.waitFor('orders-api', 'prod', 'v9.0.0');
    expect(deployment.status).toBe('REJECTED');
    expect(deployment.approvals[0]?.status).toBe('EXPIRED');
    expect(deployment.reason).toContain('expired');
    const message = runtime.chat.messages.find(
      (candidate) => candidate.text.includes('v9.0.0') && candidate.text.startsWith('Approval'),
    );
    expect(message?.text).toContain('expired');
    const reminders = runtime.chat.messages.filter(
      (candidate) => candidate.text.includes('orders-api v9.0.0 → prod') && !candidate.text.startsWith('Approval'),
    );
    expect(
      reminders.filter(
        (candidate) => candidate.channel === '#deploys-payments' && candidate.text.includes('still needs a decision'),
      ),
    ).toHaveLength(2);
    expect(reminders.filter((candidate) => candidate.channel === '#platform-team' && candidate.urgent)).toHaveLength(1);
    const audit = (
      await portal.get<{ events: { action: string }[] }>(
        `/v1/approvals/${encodeURIComponent(deployment.approvals[0]?.id ?? '')}`,
      )
    ).events.map((event) => event.action);
    expect(audit).toEqual(expect.arrayContaining(['approval.reminded', 'approval.escalated', 'approval.expired']));
  });
});
