import { beforeAll, describe, expect, it } from 'vitest';
import { FUNCTIONS, type FunctionId } from '../../infra/system.js';
import { bundledModules, clientsBeyondPorts } from '../support/bundle-contents.js';
import { ensureCloudAssembly, readTemplate, synthesizedFunctions } from '../support/cloud-assembly.js';

/**
 * Each shipped bundle holds only what its function uses: a client behind a port the function
 * does not declare is weight (and init time) on every cold start, and a sign that a module
 * imports more than its function needs.
 */
describe('function bundles in cdk.out', () => {
  beforeAll(ensureCloudAssembly, 600_000);

  it('hold no client that the ports their function declares do not need', () => {
    const functions = synthesizedFunctions(readTemplate(), {
      account: '123456789012',
      region: 'us-east-1',
      ref: (logicalId) => logicalId,
    });
    expect(functions).toHaveLength(Object.keys(FUNCTIONS).length);
    const extra = Object.fromEntries(
      functions.flatMap((fn) => {
        const { ports } = FUNCTIONS[fn.functionId as FunctionId].module.declaration;
        const clients = clientsBeyondPorts(bundledModules(fn.entry), ports);
        return clients.length > 0 ? [[fn.functionId, clients]] : [];
      }),
    );
    expect(extra).toEqual({});
  });
});
