import { run } from './run.js';

/** The `flightplan` command: bundled to dist/cli.mjs by cli/build.mjs so it starts without tsx. */
process.exitCode = await run(process.argv.slice(2), {
  env: process.env,
  out: (text) => {
    process.stdout.write(`${text}\n`);
  },
  err: (text) => {
    process.stderr.write(`${text}\n`);
  },
  write: (text) => {
    process.stdout.write(text);
  },
  tty: process.stdout.isTTY,
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
});
