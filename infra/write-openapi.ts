import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { openApiDocument } from '../functions/http/openapi.js';

/** Writes the OpenAPI document Backstage's API entity points at; a test keeps it equal to what GET /v1/openapi.json serves. */
export const OPENAPI_FILE = join(import.meta.dirname, '..', 'integrations', 'backstage', 'openapi.json');

export const renderOpenApiFile = (): string => `${JSON.stringify(openApiDocument(), null, 2)}\n`;

if (process.argv[1] === import.meta.filename) {
  await writeFile(OPENAPI_FILE, renderOpenApiFile());
  process.stdout.write(`Wrote ${OPENAPI_FILE}\n`);
}
