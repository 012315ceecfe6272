import * as z from '../functions/zod.js';
import { defineEvent } from './envelope.js';

export const CATALOG_FILE_CHANGED_DETAIL_TYPE = 'Catalog File Changed';

/**
 * A push to a repository's default branch added, changed or removed its catalog-info.yaml. The
 * catalog reads the file at `revision` and registers, updates or deactivates the service.
 */
export const catalogFileChanged = defineEvent({
  source: 'flightplan.github',
  detailType: CATALOG_FILE_CHANGED_DETAIL_TYPE,
  dataSchema: z.object({
    repository: z.string(),
    revision: z.string(),
    /** Who pushed: registering a service for a team, or moving it to another, takes a member of that team or platform-team. */
    pushedBy: z.object({
      login: z.string(),
      id: z.optional(z.number().check(z.int(), z.positive())),
      type: z.optional(z.string()),
    }),
  }),
});

export const syncCatalogPattern = {
  source: ['flightplan.github'],
  'detail-type': [CATALOG_FILE_CHANGED_DETAIL_TYPE],
} as const;

export const catalogFileChangedSample = catalogFileChanged.build(
  {
    repository: 'acme/ledger-api',
    revision: '7c1e9a2b4d6f8a0c2e4b6d8f0a2c4e6b8d0f2a4c',
    pushedBy: { login: 'alice', id: 583231 },
  },
  { causationId: 'github:5b1c9e70-cc78-11e3-81ab-4c9367dc0958' },
);
