import { z } from 'zod';
import { environmentSchema } from './catalog.js';

export const ARGO_LABELS = {
  service: 'flightplan.io/service',
  environment: 'flightplan.io/environment',
  region: 'flightplan.io/region',
} as const;

/**
 * The JSON body the argocd-notifications templates in `integrations/argocd/` send. Empty strings
 * are what Go templates print for absent fields.
 */
export const argoNotificationSchema = z.object({
  app: z.string().min(1),
  project: z.string().optional(),
  event: z.string().min(1),
  labels: z.record(z.string(), z.string()).nullable().default({}),
  revision: z.string().min(1),
  syncStatus: z.string().min(1),
  healthStatus: z.string().min(1),
  operationPhase: z.string().optional().transform((phase) => phase || undefined),
  timestamp: z.iso.datetime({ offset: true }),
});
export type ArgoNotification = z.infer<typeof argoNotificationSchema>;

export type ArgoTarget = { service: string; environment: z.infer<typeof environmentSchema>; region: string };

/** Which Flightplan deployment target an Argo CD application is, from its labels. */
export function argoTargetOf(notification: ArgoNotification): ArgoTarget | { ignored: string } {
  const labels = notification.labels ?? {};
  const environment = environmentSchema.safeParse(labels[ARGO_LABELS.environment]);
  const service = labels[ARGO_LABELS.service];
  const region = labels[ARGO_LABELS.region];
  if (!service || !region || !environment.success) {
    return { ignored: `application ${notification.app} has no ${Object.values(ARGO_LABELS).join(', ')} labels` };
  }
  return { service, environment: environment.data, region };
}
