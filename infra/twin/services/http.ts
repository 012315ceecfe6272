import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';

/** What every twin service returns: where it listens, and how to stop it. */
export interface RunningService {
  url: string;
  stop(): Promise<void>;
}

export interface ServiceRequest {
  method: string;
  url: URL;
  headers: IncomingMessage['headers'];
  body: Buffer;
}

export interface ServiceResponse {
  status: number;
  headers?: Record<string, string>;
  body?: string | Uint8Array;
}

export const jsonResponse = (status: number, body: unknown, headers: Record<string, string> = {}): ServiceResponse => ({
  status,
  headers: { 'content-type': 'application/json; charset=utf-8', ...headers },
  body: JSON.stringify(body),
});

/**
 * Serves `handle` on 127.0.0.1 (port 0 picks a free one). An exception becomes a 500 with its
 * message, and is reported, so a defect in an emulation is loud rather than a hung client.
 */
export async function serveOnLoopback(
  handle: (request: ServiceRequest) => Promise<ServiceResponse>,
  options: { port?: number; onError?: (error: unknown) => void } = {},
): Promise<RunningService> {
  const server = createServer((request, response) => {
    void respond(request, response, handle).catch((error: unknown) => {
      options.onError?.(error);
      if (!response.headersSent) write(response, jsonResponse(500, { message: (error as Error).message }));
      else response.destroy();
    });
  });
  const port = await listen(server, options.port ?? 0);
  return {
    url: `http://127.0.0.1:${port}`,
    stop: () =>
      new Promise<void>((resolveClose) => {
        server.close(() => {
          resolveClose();
        });
        server.closeAllConnections();
      }),
  };
}

async function respond(
  request: IncomingMessage,
  response: ServerResponse,
  handle: (request: ServiceRequest) => Promise<ServiceResponse>,
): Promise<void> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  const result = await handle({
    method: request.method ?? 'GET',
    url: new URL(request.url ?? '/', 'http://127.0.0.1'),
    headers: request.headers,
    body: Buffer.concat(chunks),
  });
  write(response, result);
}

function write(response: ServerResponse, result: ServiceResponse): void {
  response.writeHead(result.status, result.headers ?? {});
  response.end(result.body);
}

function listen(server: Server, port: number): Promise<number> {
  return new Promise((resolveListen, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => {
      const address = server.address();
      resolveListen(address && typeof address === 'object' ? address.port : port);
    });
  });
}
