/**
 * Who the console acts as. Locally there is no login wall: it opens as a demo user (switchable)
 * and asks the local runtime for that user's token. On AWS it signs in with Keycloak by the
 * authorization code flow with PKCE (RFC 7636) and keeps the token for the tab's session.
 */
export type ConsoleConfig =
  | { mode: 'local'; apiUrl: string; users: { login: string; teams: string[] }[]; defaultUser: string }
  | { mode: 'oidc'; apiUrl: string; issuer: string; clientId: string };

export async function loadConfig(): Promise<ConsoleConfig> {
  const response = await fetch('./console-config.json');
  if (!response.ok) throw new Error(`console-config.json: HTTP ${response.status}`);
  return (await response.json()) as ConsoleConfig;
}

const AS_KEY = 'flightplan.as';

export function localUser(config: Extract<ConsoleConfig, { mode: 'local' }>): string {
  const asked = new URLSearchParams(window.location.search).get('as');
  if (asked) window.localStorage.setItem(AS_KEY, asked);
  return asked ?? window.localStorage.getItem(AS_KEY) ?? config.defaultUser;
}

export function switchLocalUser(login: string): void {
  window.localStorage.setItem(AS_KEY, login);
  const url = new URL(window.location.href);
  url.searchParams.delete('as');
  window.history.replaceState(null, '', url.toString());
}

const localTokens = new Map<string, Promise<string>>();

export function localToken(login: string): Promise<string> {
  let token = localTokens.get(login);
  if (!token) {
    token = fetch(`./local/console/token?sub=${encodeURIComponent(login)}`).then(async (response) => {
      if (!response.ok) throw new Error(`local token: HTTP ${response.status}`);
      return ((await response.json()) as { token: string }).token;
    });
    localTokens.set(login, token);
  }
  return token;
}

const base64Url = (bytes: Uint8Array): string =>
  btoa(String.fromCharCode(...bytes))
    .replace(/\+/gu, '-')
    .replace(/\//gu, '_')
    .replace(/=+$/u, '');

/** A PKCE verifier and its S256 challenge. */
export async function pkcePair(): Promise<{ verifier: string; challenge: string }> {
  const verifier = base64Url(crypto.getRandomValues(new Uint8Array(32)));
  const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(verifier)));
  return { verifier, challenge: base64Url(digest) };
}

const OIDC_KEY = 'flightplan.oidc';

/** The signed-in user's access token, signing in first when there is none (this navigates away). */
export async function oidcToken(
  config: Extract<ConsoleConfig, { mode: 'oidc' }>,
): Promise<{ token: string; login: string }> {
  const stored = window.sessionStorage.getItem(OIDC_KEY);
  if (stored) {
    const session = JSON.parse(stored) as { token: string; login: string; expiresAt: number };
    if (session.expiresAt > Date.now()) return session;
  }
  const redirectUri = `${window.location.origin}${window.location.pathname}`;
  const params = new URLSearchParams(window.location.search);
  const code = params.get('code');
  const pending = window.sessionStorage.getItem(`${OIDC_KEY}.pending`);
  if (code && pending) {
    const { verifier, state } = JSON.parse(pending) as { verifier: string; state: string };
    if (params.get('state') !== state) throw new Error('The sign-in answer does not match the request (state)');
    const response = await fetch(`${config.issuer}/protocol/openid-connect/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({
        grant_type: 'authorization_code',
        code,
        redirect_uri: redirectUri,
        client_id: config.clientId,
        code_verifier: verifier,
      }).toString(),
    });
    if (!response.ok) throw new Error(`Keycloak refused the code: HTTP ${response.status}`);
    const tokens = (await response.json()) as { access_token: string; expires_in: number };
    const claims = JSON.parse(
      atob(tokens.access_token.split('.')[1]?.replace(/-/gu, '+').replace(/_/gu, '/') ?? 'e30='),
    ) as { preferred_username?: string; sub?: string };
    const session = {
      token: tokens.access_token,
      login: claims.preferred_username ?? claims.sub ?? 'unknown',
      expiresAt: Date.now() + tokens.expires_in * 1000,
    };
    window.sessionStorage.setItem(OIDC_KEY, JSON.stringify(session));
    window.sessionStorage.removeItem(`${OIDC_KEY}.pending`);
    window.history.replaceState(null, '', redirectUri + window.location.hash);
    return session;
  }
  const { verifier, challenge } = await pkcePair();
  const state = base64Url(crypto.getRandomValues(new Uint8Array(16)));
  window.sessionStorage.setItem(`${OIDC_KEY}.pending`, JSON.stringify({ verifier, state }));
  const authorize = new URLSearchParams({
    response_type: 'code',
    client_id: config.clientId,
    redirect_uri: redirectUri,
    scope: 'openid',
    state,
    code_challenge: challenge,
    code_challenge_method: 'S256',
  });
  window.location.assign(`${config.issuer}/protocol/openid-connect/auth?${authorize.toString()}`);
  return new Promise(() => undefined);
}
