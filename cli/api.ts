/** A problem+json answer from the portal API: the CLI prints its title and detail and exits 1. */
export class ApiRefusedError extends Error {
  constructor(
    readonly status: number,
    readonly problem: { title?: string; detail?: string; errors?: { path: string; message: string }[] },
  ) {
    super(`${problem.title ?? `HTTP ${status}`}: ${problem.detail ?? ''}`);
    this.name = 'ApiRefusedError';
  }
}

/** Wrong arguments: the CLI prints the usage and exits 2. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

/** The runtime or API could not be reached at all. */
export class UnreachableError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'UnreachableError';
  }
}

export interface ApiClient {
  url: string;
  get<T>(path: string): Promise<T>;
  post<T>(path: string, body?: unknown, headers?: Record<string, string>): Promise<T>;
}

export function apiClient(url: string, token: () => Promise<string | undefined>): ApiClient {
  const call = async <T>(
    method: string,
    path: string,
    body?: unknown,
    headers: Record<string, string> = {},
  ): Promise<T> => {
    const bearer = await token();
    let response: Response;
    try {
      response = await fetch(`${url}${path}`, {
        method,
        headers: {
          ...(bearer ? { authorization: `Bearer ${bearer}` } : {}),
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
          ...headers,
        },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
    } catch (error) {
      throw new UnreachableError(
        `Nothing answers at ${url} (${(error as Error & { cause?: { code?: string } }).cause?.code ?? (error as Error).message}); is the local runtime running (npm start)?`,
        { cause: error },
      );
    }
    const text = await response.text();
    const parsed = text === '' ? undefined : (safeJson(text) as ApiRefusedError['problem']);
    if (!response.ok)
      throw new ApiRefusedError(response.status, parsed ?? { title: `HTTP ${response.status}`, detail: text });
    return parsed as T;
  };
  return {
    url,
    get: (path) => call('GET', path),
    post: (path, body, headers) => call('POST', path, body ?? {}, headers),
  };
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return { title: 'Unexpected answer', detail: text.slice(0, 500) };
  }
}

/** Local-only commands talk only to a runtime on this machine. */
export function isLocalUrl(url: string): boolean {
  try {
    const { hostname } = new URL(url);
    return hostname === '127.0.0.1' || hostname === 'localhost' || hostname === '[::1]' || hostname === '::1';
  } catch {
    return false;
  }
}

export const query = (parameters: Record<string, string | undefined>): string => {
  const entries = Object.entries(parameters).filter(
    (entry): entry is [string, string] => entry[1] !== undefined && entry[1] !== '',
  );
  return entries.length === 0 ? '' : `?${new URLSearchParams(entries).toString()}`;
};
