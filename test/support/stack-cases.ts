import { readFile } from 'node:fs';
import { readFile as readFileAsync } from 'node:fs/promises';
import { runInThisContext } from 'node:vm';
import { mapStacksThroughSourceMap, nodeErrorSymbol } from '../../functions/adapters/aws/source-mapped-stacks.js';

/**
 * Errors of every shape a Lambda can meet, for a test that bundles this module as the functions are
 * bundled and compares each stack with Node's `--enable-source-maps` (bundle-contents.test.ts).
 * Run as that bundle, it prints each case's `error.stack` (or what reading it threw) as JSON.
 */
mapStacksThroughSourceMap(import.meta.url);

const stacks: Record<string, string> = {};
const stackOf = (error: unknown): string => {
  try {
    return String((error as { stack?: unknown }).stack);
  } catch (thrown) {
    return `reading the stack threw: ${String(thrown)}`;
  }
};
const record = async (name: string, fail: () => unknown) => {
  try {
    await fail();
    stacks[name] = 'nothing thrown';
  } catch (error) {
    stacks[name] = stackOf(error);
  }
};

function plainFunction(): never {
  throw new Error('plain');
}
class Widget {
  constructor(fail: boolean) {
    if (fail) throw new TypeError('constructor');
  }
  method(): never {
    throw new Error('method');
  }
  static make(): never {
    throw new Error('static');
  }
  get property(): never {
    throw new Error('getter');
  }
}
const aliased = {
  alias: function realName(): never {
    throw new Error('alias');
  },
};
async function innerAsync(): Promise<never> {
  await Promise.resolve();
  throw new Error('async');
}
async function outerAsync(): Promise<void> {
  await innerAsync();
}
const withCode = (error: Error, code: unknown) => Object.assign(error, { code });
const isNodeError = nodeErrorSymbol();

await record('plain', () => plainFunction());
await record('constructor', () => new Widget(true));
await record('method', () => new Widget(false).method());
await record('static', () => Widget.make());
await record('getter', () => new Widget(false).property);
await record('alias', () => aliased.alias());
await record('array map', () => [1].map(() => plainFunction()));
await record('vm', () => runInThisContext('throw new Error("vm")', { filename: 'vm-file.js' }));
await record("Node's own error", () => Buffer.alloc(-1));
await record("Node's own type error", () => {
  Reflect.apply(readFile, undefined, [{}, () => undefined]);
});
await record('no frames', () => {
  const limit = Error.stackTraceLimit;
  Error.stackTraceLimit = 0;
  try {
    throw new Error('empty');
  } finally {
    Error.stackTraceLimit = limit;
  }
});
await record('a name getter that throws', () => {
  throw Object.defineProperty(new Error('x'), 'name', {
    get: () => {
      throw new Error('name getter');
    },
  });
});
await record('a plain object with a captured stack', () => {
  const object = { name: 'Custom', message: 'message' };
  Error.captureStackTrace(object);
  // eslint-disable-next-line @typescript-eslint/only-throw-error -- what Error.captureStackTrace allows, the case itself
  throw object;
});
await record('AggregateError', () => {
  throw new AggregateError([new Error('a'), new Error('b')], 'aggregate');
});
await record('cause', () => {
  throw new Error('outer', { cause: new Error('inner') });
});
await record('a symbol of the same description', () => {
  throw Object.assign(withCode(new Error('fake'), 'X'), { [Symbol('kIsNodeError')]: true });
});
await record("Node's symbol with a symbol for a code", () => {
  if (!isNodeError) throw new Error("no Node error carries Node's symbol");
  throw Object.assign(withCode(new Error('p'), Symbol('code')), { [isNodeError]: true });
});
await record('async', () => outerAsync());
await record('Promise.all', () => Promise.all([outerAsync()]));
await record(
  'a timer',
  () =>
    new Promise((_, reject) => {
      setTimeout(() => {
        try {
          new Widget(false).method();
        } catch (error) {
          reject(error instanceof Error ? error : new Error(String(error)));
        }
      });
    }),
);
await record('fs promises', () => readFileAsync('/nonexistent/flightplan'));
stacks['an immediate'] = await new Promise<string>((resolve) => {
  setImmediate(() => {
    resolve(stackOf(new Error('immediate')));
  });
});
process.stdout.write(JSON.stringify(stacks));
