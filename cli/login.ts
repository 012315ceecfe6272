import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { UnreachableError, UsageError } from './api.js';

/** Where `flightplan login` keeps the token it got, per API URL. */
export const credentialsPath = (env: NodeJS.ProcessEnv): string =>
  join(env['XDG_CONFIG_HOME'] ?? join(homedir(), '.config'), 'flightplan', 'credentials.json');

interface SavedToken {
  accessToken: string;
  expiresAt: string;
}

export async function savedToken(env: NodeJS.ProcessEnv, url: string, now = Date.now()): Promise<string | undefined> {
  try {
    const all = JSON.parse(await readFile(credentialsPath(env), 'utf8')) as Record<string, SavedToken>;
    const saved = all[url];
    return saved && Date.parse(saved.expiresAt) > now ? saved.accessToken : undefined;
  } catch {
    return undefined;
  }
}

async function saveToken(env: NodeJS.ProcessEnv, url: string, token: SavedToken): Promise<void> {
  const path = credentialsPath(env);
  let all: Record<string, SavedToken> = {};
  try {
    all = JSON.parse(await readFile(path, 'utf8')) as typeof all;
  } catch {
    // First login on this machine.
  }
  await mkdir(dirname(path), { recursive: true, mode: 0o700 });
  await writeFile(path, JSON.stringify({ ...all, [url]: token }, null, 2), { mode: 0o600 });
}

interface DeviceAuthorization {
  device_code: string;
  user_code: string;
  verification_uri: string;
  verification_uri_complete?: string;
  expires_in: number;
  interval?: number;
}

const form = (fields: Record<string, string>) => ({
  method: 'POST',
  headers: { 'content-type': 'application/x-www-form-urlencoded' },
  body: new URLSearchParams(fields).toString(),
});

async function postForm(endpoint: string, fields: Record<string, string>): Promise<{ status: number; body: unknown }> {
  try {
    const response = await fetch(endpoint, form(fields));
    return { status: response.status, body: await response.json() };
  } catch (error) {
    throw new UnreachableError(`Keycloak does not answer at ${endpoint}: ${(error as Error).message}`, {
      cause: error,
    });
  }
}

/** Keycloak's endpoints from the realm's discovery document. */
async function endpointsOf(issuer: string): Promise<{ device: string; token: string }> {
  try {
    const response = await fetch(`${issuer.replace(/\/$/u, '')}/.well-known/openid-configuration`);
    const discovery = (await response.json()) as { device_authorization_endpoint?: string; token_endpoint?: string };
    if (!discovery.device_authorization_endpoint || !discovery.token_endpoint)
      throw new Error('the realm does not offer the device authorization grant');
    return { device: discovery.device_authorization_endpoint, token: discovery.token_endpoint };
  } catch (error) {
    throw new UnreachableError(
      `Could not read ${issuer}/.well-known/openid-configuration: ${(error as Error).message}`,
      { cause: error },
    );
  }
}

/**
 * The OAuth 2.0 device authorization grant (RFC 8628) against Keycloak: ask for a user code,
 * show where to enter it, poll the token endpoint at the interval the server sets (slower when
 * told to slow down) until the person approves, declines or the code expires.
 */
export async function login(options: {
  env: NodeJS.ProcessEnv;
  url: string;
  issuer: string | undefined;
  clientId: string;
  say: (line: string) => void;
  sleep?: (ms: number) => Promise<void>;
}): Promise<{ expiresAt: string }> {
  if (!options.issuer)
    throw new UsageError(
      'flightplan login needs the Keycloak realm: --issuer https://sso.example.com/realms/acme or FLIGHTPLAN_OIDC_ISSUER',
    );
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  const endpoints = await endpointsOf(options.issuer);
  const started = (await postForm(endpoints.device, { client_id: options.clientId, scope: 'openid' })) as {
    status: number;
    body: DeviceAuthorization & { error?: string; error_description?: string };
  };
  if (started.status !== 200)
    throw new UnreachableError(
      `Keycloak refused the device authorization: ${started.body.error ?? started.status} ${started.body.error_description ?? ''}`.trim(),
    );
  const device = started.body;
  options.say(
    `Open ${device.verification_uri_complete ?? device.verification_uri} and enter the code ${device.user_code}`,
  );
  let interval = (device.interval ?? 5) * 1000;
  const deadline = Date.now() + device.expires_in * 1000;
  while (Date.now() < deadline) {
    await sleep(interval);
    const polled = (await postForm(endpoints.token, {
      grant_type: 'urn:ietf:params:oauth:grant-type:device_code',
      device_code: device.device_code,
      client_id: options.clientId,
    })) as {
      status: number;
      body: { access_token?: string; expires_in?: number; error?: string; error_description?: string };
    };
    if (polled.body.access_token) {
      const expiresAt = new Date(Date.now() + (polled.body.expires_in ?? 300) * 1000).toISOString();
      await saveToken(options.env, options.url, { accessToken: polled.body.access_token, expiresAt });
      return { expiresAt };
    }
    if (polled.body.error === 'authorization_pending') continue;
    if (polled.body.error === 'slow_down') {
      interval += 5000;
      continue;
    }
    throw new UnreachableError(
      `Login ended: ${polled.body.error ?? `HTTP ${polled.status}`}${polled.body.error_description ? ` (${polled.body.error_description})` : ''}`,
    );
  }
  throw new UnreachableError('Login ended: the code expired before it was approved');
}
