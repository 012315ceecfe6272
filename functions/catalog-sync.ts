import { catalogFileChanged } from '../events/catalog-file-changed.js';
import { awsCatalogStore, awsClock, awsCodeHost } from './adapters/aws/factories.js';
import type { Dependencies } from './ports/index.js';
import { busEventHandler, onAws } from './runtime.js';
import { syncCatalogFile } from './use-cases/catalog-sync.js';

/** Target of the SyncCatalog rule: a pushed catalog-info.yaml registers, updates or deactivates its service. */
export const createHandler = (deps: Pick<Dependencies, 'catalog' | 'codeHost' | 'clock'>) =>
  busEventHandler(
    (detail) => catalogFileChanged.parse(detail),
    (detail) => syncCatalogFile(deps, detail),
  );

export const handler = onAws(() => createHandler({ catalog: awsCatalogStore(), codeHost: awsCodeHost(), clock: awsClock }));
