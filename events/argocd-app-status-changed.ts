import * as z from '../functions/zod.js';
import { defineEvent } from './envelope.js';
import { environmentSchema } from '../functions/domain/catalog.js';

export const ARGOCD_STATUS_DETAIL_TYPE = 'Argo CD Application Status Changed';

/** Argo CD reported the sync and health of one application (one service in one environment and region). */
export const argoCdAppStatusChanged = defineEvent({
  source: 'flightplan.argocd',
  detailType: ARGOCD_STATUS_DETAIL_TYPE,
  dataSchema: z.object({
    app: z.string(),
    service: z.string(),
    environment: environmentSchema,
    region: z.string(),
    revision: z.string(),
    syncStatus: z.string(),
    healthStatus: z.string(),
    operationPhase: z.optional(z.string()),
    trigger: z.string(),
    observedAt: z.string(),
    /** The Argo CD cluster whose token sent the notification (`default` for the single token). */
    cluster: z.optional(z.string()),
  }),
});

/** Synced and healthy: resumes a deployment waiting for this application. */
export const argoCdSyncedHealthyPattern = {
  source: ['flightplan.argocd'],
  'detail-type': [ARGOCD_STATUS_DETAIL_TYPE],
  detail: { syncStatus: ['Synced'], healthStatus: ['Healthy'] },
} as const;

/** A failed sync or an application that went bad: fails the waiting deployment at once. */
export const argoCdSyncFailedPattern = {
  source: ['flightplan.argocd'],
  'detail-type': [ARGOCD_STATUS_DETAIL_TYPE],
  detail: {
    $or: [{ healthStatus: ['Degraded', 'Missing'] }, { operationPhase: ['Failed', 'Error'] }],
  },
} as const;

export const argoCdAppStatusChangedSample = argoCdAppStatusChanged.build(
  {
    app: 'orders-api-hml-use1',
    service: 'orders-api',
    environment: 'hml',
    region: 'us-east-1',
    revision: '9d1c0a7f3b2e4d5c6b7a8f9e0d1c2b3a4f5e6d7c',
    syncStatus: 'Synced',
    healthStatus: 'Healthy',
    operationPhase: 'Succeeded',
    trigger: 'on-deployed',
    observedAt: '2026-11-23T10:00:00Z',
  },
  { causationId: 'argocd:orders-api-hml-use1:9d1c0a7' },
);
