import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

const here = dirname(fileURLToPath(import.meta.url));

/** The console is static files: served at / by the local runtime, from S3 behind CloudFront on AWS. */
export default defineConfig({
  root: here,
  base: './',
  esbuild: { jsx: 'automatic' },
  build: { outDir: join(here, 'dist'), emptyOutDir: true, chunkSizeWarningLimit: 2000, reportCompressedSize: false },
  logLevel: 'warn',
});
