// Bundles the CLI into one ESM file, so `npx flightplan` starts in milliseconds instead of
// loading TypeScript through tsx. npm ci runs it (the `prepare` script).
import { build } from 'esbuild';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');

await build({
  entryPoints: [join(root, 'cli', 'main.ts')],
  outfile: join(root, 'dist', 'cli.mjs'),
  bundle: true,
  platform: 'node',
  target: 'node20.19',
  format: 'esm',
  banner: {
    js: "#!/usr/bin/env node\nimport { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);",
  },
  minify: true,
  sourcemap: 'linked',
  logLevel: 'warning',
});
