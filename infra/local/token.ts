import { parseArgs } from 'node:util';
import { LocalIssuer } from './local-issuer.js';
import { localOptionsFromEnv } from './runtime.js';

/** Prints a JWT the local runtime accepts: `npm run -s token -- --sub alice [--role platform-team]`. */
try {
  const { values } = parseArgs({
    options: { sub: { type: 'string' }, role: { type: 'string', multiple: true, default: [] }, expires: { type: 'string', default: '12h' } },
  });
  if (!values.sub) throw new Error('Usage: npm run -s token -- --sub <user> [--role <role>] [--expires 12h]');
  const issuer = await LocalIssuer.open(localOptionsFromEnv().dataDir);
  console.log(await issuer.sign({ sub: values.sub, groups: values.role }, values.expires));
} catch (error) {
  console.error((error as Error).message);
  process.exit(2);
}
