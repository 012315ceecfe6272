import { parseArgs } from 'node:util';
import { LocalIssuer } from './local-issuer.js';
import { localOptionsFromEnv } from './runtime.js';

const USAGE =
  'Usage: npm run -s token -- --sub <id> [--email <e>] [--username <u>] [--group <g>]... [--github <login>] [--expires 12h]';

/**
 * Prints a JWT the local runtime accepts, shaped as Keycloak's: `npm run -s token -- --sub alice
 * --group /payments`. Groups may be full Keycloak paths (`/payments`) or bare names; `--role` is
 * the older spelling of `--group`.
 */
try {
  const { values } = parseArgs({
    options: {
      sub: { type: 'string' },
      email: { type: 'string' },
      username: { type: 'string' },
      group: { type: 'string', multiple: true },
      role: { type: 'string', multiple: true },
      github: { type: 'string' },
      expires: { type: 'string', default: '12h' },
    },
  });
  if (!values.sub) throw new Error(USAGE);
  const groups = [...(values.group ?? []), ...(values.role ?? [])];
  const issuer = await LocalIssuer.open(localOptionsFromEnv().dataDir);
  console.log(
    await issuer.sign(
      {
        sub: values.sub,
        ...(groups.length > 0 ? { groups } : {}),
        email: values.email,
        username: values.username,
        githubLogin: values.github,
      },
      values.expires,
    ),
  );
} catch (error) {
  console.error((error as Error).message);
  process.exit(2);
}
