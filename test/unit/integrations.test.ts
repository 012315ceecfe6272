import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { argoNotificationSchema } from '../../functions/domain/argocd-notification.js';
import { ROUTES } from '../../infra/system.js';

/**
 * Fills the argocd-notifications templates the way Argo CD's Go templates would for one app, so
 * the body the real Argo CD sends is checked against the schema our webhook parses.
 */
function renderArgoTemplate(body: string): string {
  return body
    .replaceAll('{{.app.metadata.name}}', 'orders-api-prod-use1')
    .replaceAll('{{.app.spec.project}}', 'default')
    .replaceAll(
      '{{toJson .app.metadata.labels}}',
      JSON.stringify({
        'flightplan.io/service': 'orders-api',
        'flightplan.io/environment': 'prod',
        'flightplan.io/region': 'us-east-1',
      }),
    )
    .replaceAll('{{.app.status.sync.revision}}', '9d1c0a7f3b2e4d5c6b7a8f9e0d1c2b3a4f5e6d7c')
    .replaceAll('{{.app.status.sync.status}}', 'Synced')
    .replaceAll('{{.app.status.health.status}}', 'Healthy')
    .replaceAll('{{if .app.status.operationState}}{{.app.status.operationState.phase}}{{end}}', 'Succeeded')
    .replaceAll('{{(call .time.Now).Format "2006-01-02T15:04:05Z07:00"}}', '2026-11-23T10:00:00Z');
}

describe('integrations', () => {
  const configMap = readFileSync('integrations/argocd/argocd-notifications-cm.yaml', 'utf8');

  it.each(['app-deployed', 'app-health-degraded', 'app-sync-failed'])(
    'the argocd-notifications %s template renders a body our webhook accepts',
    (event) => {
      const template =
        configMap.split(`template.flightplan-${event}: |`)[1]?.split('body: |')[1]?.split('\n  template.')[0] ?? '';
      const body = renderArgoTemplate(template.trim());
      expect(argoNotificationSchema.parse(JSON.parse(body))).toMatchObject({
        app: 'orders-api-prod-use1',
        event,
        syncStatus: 'Synced',
      });
    },
  );

  it('points Argo CD and Slack at the routes Flightplan serves', () => {
    const paths = ROUTES.map((route) => route.path);
    expect(configMap).toContain('/webhooks/argocd');
    expect(paths).toContain('/webhooks/argocd');
    const manifest = readFileSync('integrations/slack/manifest.yaml', 'utf8');
    expect(manifest).toMatch(/request_url: https:\/\/FLIGHTPLAN_API\/slack\/interactions/u);
    expect(paths).toContain('/slack/interactions');
    expect(manifest).toContain('chat:write');
    // users.info with the profile email links a Slack user to the person who signed in to the portal.
    expect(manifest).toContain('users:read');
    expect(manifest).toContain('users:read.email');
  });
});
