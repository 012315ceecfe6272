import { catalogFileChanged } from '../../events/catalog-file-changed.js';
import { onAws } from '../adapters/aws/compose.js';
import { busTarget } from '../declaration.js';
import { syncCatalogFile } from '../use-cases/catalog-sync.js';

export const declaration = busTarget({
  description:
    'Target of the SyncCatalog rule: a pushed catalog-info.yaml registers, updates or deactivates its service',
  ports: ['catalog', 'codeHost', 'clock'],
  use: { codeHost: 'readCatalogFiles' },
  detail: (detail) => catalogFileChanged.parse(detail),
  useCase: syncCatalogFile,
});

export const handler = onAws(declaration);
