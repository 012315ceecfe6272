import { execFile } from 'node:child_process';
import { access, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { releasePayload, signedDelivery } from '../../infra/local/github-payloads.js';
import type { LocalRuntime } from '../../infra/local/runtime.js';
import { portalClient, startTestRuntime } from '../support/local-runtime.js';

const exec = promisify(execFile);
const ROOT = join(import.meta.dirname, '..', '..');
/** Debian's chromium package; .ci/run installs it when it is missing. */
const CHROMIUM = '/usr/bin/chromium';
/** README's picture of the console: refreshed only when asked (UPDATE_SCREENSHOT=1), so a test run leaves the tree clean. */
const SCREENSHOT = process.env['UPDATE_SCREENSHOT'] === '1' ? join(ROOT, 'docs', 'console.png') : undefined;

let runtime: LocalRuntime;
let stop: () => Promise<void>;
let browser: BrowserContext;
let profile: string;

beforeAll(async () => {
  await access(CHROMIUM).catch(() => {
    throw new Error(`${CHROMIUM} is missing: apt-get install -y chromium (.ci/run does it)`);
  });
  // The console the runtime serves is the one built from these sources, as npm ci builds it.
  await exec(process.execPath, [join(ROOT, 'node_modules', 'vite', 'bin', 'vite.js'), 'build', join(ROOT, 'console')], {
    cwd: ROOT,
  });
  ({ runtime, stop } = await startTestRuntime());
  profile = await mkdtemp(join(tmpdir(), 'flightplan-chromium-'));
  browser = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
    viewport: { width: 1440, height: 1000 },
  });
}, 180_000);

afterAll(async () => {
  await browser.close();
  await stop();
  await rm(profile, { recursive: true, force: true });
});

async function release(tag: string): Promise<string> {
  const delivery = await signedDelivery(
    'local-github-secret',
    'release',
    releasePayload({ repository: 'acme/orders-api', tag, author: 'alice' }),
  );
  expect(
    (await fetch(`${runtime.url}/webhooks/github`, { method: 'POST', headers: delivery.headers, body: delivery.body }))
      .status,
  ).toBe(202);
  const bob = portalClient(runtime, await runtime.issuer.sign({ sub: 'bob' }));
  return (await bob.waitFor('orders-api', 'prod', tag, (deployment) => deployment.approvals[0]?.status === 'PENDING'))
    .id;
}

const statusOf = (page: Page) => page.getByTestId('deployment-status').innerText();

describe('the web console in a real browser', () => {
  it('opens as the demo user bob, shows what waits on him, and approves a PROD deployment that then reaches SUCCEEDED', async () => {
    const id = await release('v4.0.0');
    const page = await browser.newPage();
    await page.goto(`${runtime.url}/?as=bob#/approvals`);
    await expect.poll(() => page.getByTestId('pending-count').innerText(), { timeout: 20_000 }).toBe('1');
    await expect
      .poll(() => page.locator('main').innerText(), { timeout: 20_000 })
      .toContain('orders-api v4.0.0 → prod');
    expect(await page.getByLabel('demo user').inputValue()).toBe('bob');

    await page.goto(`${runtime.url}/#/deployments/${encodeURIComponent(id)}`);
    await expect.poll(() => statusOf(page), { timeout: 20_000 }).toBe('AWAITING_APPROVAL');
    await expect
      .poll(() => page.locator('[data-state="Wait for approval"]').getAttribute('data-status'), { timeout: 20_000 })
      .toBe('current');
    await page.getByLabel('comment').fill('approved from the console');
    await page.getByRole('button', { name: 'Approve' }).click();

    await expect
      .poll(() => page.getByTestId('wave-us-east-1').innerText(), { timeout: 30_000 })
      .toMatch(/BAKING|SUCCEEDED/u);
    await expect.poll(() => statusOf(page), { timeout: 60_000 }).toBe('SUCCEEDED');
    await expect
      .poll(() => page.locator('[data-state="Deployed"]').getAttribute('data-status'), { timeout: 10_000 })
      .toBe('last');
    const text = await page.locator('main').innerText();
    expect(text).toContain('bob: approved from the console');
    expect(text).toContain('us-east-1 baked for 30 min');
    await expect.poll(() => page.getByTestId('wave-sa-east-1').innerText()).toContain('SUCCEEDED');
    if (SCREENSHOT) await page.screenshot({ path: SCREENSHOT, fullPage: true });
    await page.close();
  });

  it('switches the demo user: alice, the release author, is offered nothing to approve', async () => {
    const page = await browser.newPage();
    await page.goto(`${runtime.url}/#/live`);
    await page.getByLabel('demo user').selectOption('alice');
    await page.goto(`${runtime.url}/#/approvals`);
    await expect.poll(() => page.locator('main').innerText(), { timeout: 20_000 }).toContain('Waiting on alice');
    expect(await page.getByLabel('demo user').inputValue()).toBe('alice');
    await page.goto(`${runtime.url}/#/live`);
    await expect
      .poll(() => page.locator('main').innerText(), { timeout: 20_000 })
      .toMatch(/orders-api\s+prod\s+us-east-1\s+v4\.0\.0/u);
    await page.close();
  });
});
