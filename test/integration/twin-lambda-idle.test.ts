import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LambdaService } from '../../infra/twin/lambda.js';

let directory: string;
let lambda: LambdaService;
const ARN = 'arn:aws:lambda:us-east-1:123456789012:function:step';

beforeAll(async () => {
  directory = await mkdtemp(join(tmpdir(), 'twin-lambda-idle-'));
  await writeFile(join(directory, 'index.mjs'), 'export const handler = async () => "done";\n');
  lambda = new LambdaService(
    [
      {
        logicalId: 'step',
        stack: 'Flightplan',
        name: 'step',
        arn: ARN,
        region: 'us-east-1',
        assetDirectory: directory,
        handler: 'index.handler',
        environment: {},
        timeoutSeconds: 30,
        memoryMb: 128,
        roleArn: 'arn:aws:iam::123456789012:role/step',
        asyncRetries: 0,
      },
    ],
    { runtimeEnvironment: () => ({}), logDirectory: directory, timeScale: 1, log: () => undefined },
  );
});

afterAll(async () => {
  await lambda.stop();
  await rm(directory, { recursive: true, force: true });
});

describe("the twin's Lambda", () => {
  // A task Lambda writes a deployment, then publishes its event: a test that saw the write and
  // waits for the bus to be idle must also wait for the invocation still publishing.
  it('is idle only once its synchronous invocations have ended too, not only its async ones', async () => {
    let ended = false;
    const invocation = lambda.invoke(ARN, {}).then((result) => {
      ended = true;
      return result;
    });
    await lambda.idle();
    expect(ended).toBe(true);
    expect(await invocation).toEqual({ ok: true, payload: 'done' });
  });
});
