import { execFile } from 'node:child_process';
import { resolve } from 'node:path';
import { promisify } from 'node:util';
import type { SynthesizedFunction } from './cloud-assembly.js';

export const ACCOUNT = '123456789012';
export const REGION = 'us-east-1';
/** Where every AWS endpoint a test does not provide points: the connection is refused, so a call there fails as a network error. */
export const CLOSED_ENDPOINT = 'http://127.0.0.1:9';

const INVOKE = `
const [entry, exported, event, timeoutMs, endWhenIdle] = JSON.parse(process.argv[1]);
const deadline = Date.now() + timeoutMs;
const context = {
  functionName: 'artifact-check', functionVersion: '$LATEST', awsRequestId: 'artifact-check',
  invokedFunctionArn: 'arn:aws:lambda:us-east-1:${ACCOUNT}:function:artifact-check', memoryLimitInMB: '256',
  logGroupName: '/aws/lambda/artifact-check', logStreamName: 'artifact-check', callbackWaitsForEmptyEventLoop: false,
  getRemainingTimeInMillis: () => Math.max(deadline - Date.now(), 0),
};
let outcome;
try {
  const module = await import(entry);
  const result = await module[exported](event, context);
  outcome = { ok: true, result };
} catch (error) {
  outcome = { ok: false, name: error?.name, code: error?.code, message: String(error?.message ?? error), stack: String(error?.stack ?? '') };
}
process.stdout.write('\\n@@outcome ' + JSON.stringify(outcome) + '\\n');
if (!endWhenIdle) process.exit(0);
`;

export interface Invocation {
  outcome: { ok: boolean; name?: string; code?: string; message?: string; stack?: string };
  output: string;
}

/**
 * Invokes a function bundle once, in a Node process of its own, with exactly its environment, what
 * the Lambda runtime itself sets, and `runtime` on top (an endpoint the test provides, X-Ray's
 * variables). The AWS SDK makes one attempt per call. The process exits once the handler has
 * answered, unless `endWhenIdle`: then it ends when nothing is left to run, as a Lambda environment
 * that lives on would still send what the function queued after answering (X-Ray's subsegments
 * go out through a batcher); the timeout stops a process that never gets there.
 */
export async function invokeBundle(
  fn: Pick<SynthesizedFunction, 'functionId' | 'entry' | 'handler' | 'timeoutSeconds' | 'environment'>,
  event: unknown,
  runtime: Record<string, string> = {},
  { endWhenIdle = false }: { endWhenIdle?: boolean } = {},
): Promise<Invocation> {
  const env = {
    PATH: process.env['PATH'] ?? '',
    ...fn.environment,
    AWS_REGION: REGION,
    AWS_DEFAULT_REGION: REGION,
    AWS_ACCESS_KEY_ID: 'artifact',
    AWS_SECRET_ACCESS_KEY: 'artifact',
    AWS_LAMBDA_FUNCTION_NAME: fn.functionId,
    AWS_MAX_ATTEMPTS: '1',
    AWS_ENDPOINT_URL: CLOSED_ENDPOINT,
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
    ...runtime,
  };
  const timeoutMs = fn.timeoutSeconds * 1000;
  const { stdout, stderr } = await promisify(execFile)(
    process.execPath,
    [
      '--input-type=module',
      '-e',
      INVOKE,
      JSON.stringify([resolve(fn.entry), fn.handler, event, timeoutMs, endWhenIdle]),
    ],
    {
      env,
      timeout: Math.max(timeoutMs, 30_000) * 2,
      maxBuffer: 16 * 1024 * 1024,
    },
  );
  const line = stdout.split('\n').find((candidate) => candidate.startsWith('@@outcome '));
  if (!line) throw new Error(`${fn.functionId} printed no outcome:\n${stdout}\n${stderr}`);
  return {
    outcome: JSON.parse(line.slice('@@outcome '.length)) as Invocation['outcome'],
    output: `${stdout}\n${stderr}`,
  };
}
