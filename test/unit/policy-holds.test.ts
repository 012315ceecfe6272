import { describe, expect, it } from 'vitest';
import type { BusEntry } from '../../events/envelope.js';
import { createHandler as argocdWebhook } from '../../functions/argocd-webhook.js';
import { clusterMayNotReport, judgeBakeEvidence, parseArgoClusters } from '../../functions/domain/argocd-notification.js';
import { alarmTargetOf } from '../../functions/domain/health-gate.js';
import type { HttpEvent } from '../../functions/http/http-handler.js';
import type { SecretName } from '../../functions/ports/index.js';
import { lambdaContext } from '../../infra/local/lambda-context.js';

describe('alarmTargetOf', () => {
  const services = ['orders', 'orders-api', 'catalog-web'];
  it.each([
    ['orders-api-prod-5xx', { service: 'orders-api', environment: 'prod' }],
    ['orders-api-hml-p99', { service: 'orders-api', environment: 'hml' }],
    ['orders-prod-errors', { service: 'orders', environment: 'prod' }],
    ['orders-api-5xx', undefined],
    ['catalog-web-staging-5xx', undefined],
    ['billing-prod-5xx', undefined],
  ])('reads %s as %o', (alarmName, expected) => {
    expect(alarmTargetOf(alarmName, services)).toEqual(expected);
  });
});

describe('judgeBakeEvidence', () => {
  const wave = { gitopsRevision: 'a'.repeat(40), startedAt: '2026-12-01T10:00:00.000Z' };
  const evidence = { app: 'orders-api-prod-use1', revision: 'a'.repeat(40), observedAt: '2026-12-01T10:05:00.000Z' };
  it.each([
    ['counts news about this wave', evidence, 'this-wave'],
    ['ignores another revision', { ...evidence, revision: '0'.repeat(40) }, 'something-else'],
    ['ignores news observed before the wave started', { ...evidence, observedAt: '2026-11-30T10:05:00.000Z' }, 'something-else'],
    ['ignores another application with the same labels', { ...evidence, app: 'payments-sandbox' }, 'something-else'],
  ])('%s', (_name, given, about) => {
    expect(judgeBakeEvidence(wave, 'orders-api-prod-use1', given).about).toBe(about);
  });

  it('ignores everything when the wave committed nothing (the region already ran the digest)', () => {
    expect(judgeBakeEvidence({ ...wave, gitopsRevision: null }, 'orders-api-prod-use1', evidence)).toMatchObject({ about: 'something-else' });
  });
});

describe('parseArgoClusters', () => {
  it('reads a plain token as the single default token, allowed everywhere', () => {
    expect(parseArgoClusters('local-argocd-token')).toEqual([{ token: 'local-argocd-token', cluster: { name: 'default', regions: '*', environments: '*' } }]);
  });

  it('reads a token per cluster with the regions and environments it may report on', () => {
    const clusters = parseArgoClusters(JSON.stringify({ 'eks-prod-use1': { token: 'p'.repeat(32), regions: ['us-east-1'], environments: ['prod'] } }));
    expect(clusters).toEqual([{ token: 'p'.repeat(32), cluster: { name: 'eks-prod-use1', regions: ['us-east-1'], environments: ['prod'] } }]);
    const cluster = clusters[0]?.cluster ?? { name: '', regions: '*', environments: '*' };
    expect(clusterMayNotReport(cluster, { service: 'orders-api', environment: 'prod', region: 'us-east-1' })).toBeUndefined();
    expect(clusterMayNotReport(cluster, { service: 'orders-api', environment: 'prod', region: 'sa-east-1' })).toContain('not sa-east-1');
    expect(clusterMayNotReport(cluster, { service: 'orders-api', environment: 'hml', region: 'us-east-1' })).toContain('not hml');
  });

  it('refuses a malformed cluster map instead of treating it as one token', () => {
    expect(() => parseArgoClusters('{"eks-prod-use1": {"token": "short"}}')).toThrow('not a cluster map');
  });
});

describe('argocd webhook with a token per cluster', () => {
  const clusters = JSON.stringify({
    'eks-prod-use1': { token: 'use1-token-0123456789', regions: ['us-east-1'], environments: ['prod'] },
    'eks-prod-sae1': { token: 'sae1-token-0123456789', regions: ['sa-east-1'], environments: ['prod'] },
  });
  const notification = (region: string) => ({
    app: `orders-api-prod-${region === 'us-east-1' ? 'use1' : 'sae1'}`,
    event: 'app-health-degraded',
    labels: { 'flightplan.io/service': 'orders-api', 'flightplan.io/environment': 'prod', 'flightplan.io/region': region },
    revision: 'a'.repeat(40),
    syncStatus: 'Synced',
    healthStatus: 'Degraded',
    timestamp: '2026-12-01T10:00:00Z',
  });
  const send = async (token: string, region: string) => {
    const published: BusEntry[] = [];
    const handler = argocdWebhook({
      bus: { publish: (entries) => { published.push(...entries); return Promise.resolve(); } },
      secrets: { get: (_name: SecretName) => Promise.resolve(clusters) },
    });
    const event = { routeKey: 'POST /webhooks/argocd', headers: { authorization: `Bearer ${token}` }, body: JSON.stringify(notification(region)), isBase64Encoded: false, requestContext: { requestId: 'r1' } } as unknown as HttpEvent;
    const response = await handler(event, lambdaContext('argocdWebhook'));
    return { status: response.statusCode, body: JSON.parse(String(response.body)) as Record<string, unknown>, published };
  };

  it('accepts a cluster reporting on its own region, and says which cluster it was', async () => {
    const { status, published } = await send('use1-token-0123456789', 'us-east-1');
    expect(status).toBe(202);
    expect(published[0]?.detail).toMatchObject({ region: 'us-east-1', cluster: 'eks-prod-use1' });
  });

  it('ignores, with the reason, a cluster reporting on a region it does not run', async () => {
    const { status, body, published } = await send('use1-token-0123456789', 'sa-east-1');
    expect(status).toBe(202);
    expect(body).toEqual({ status: 'ignored', reason: 'cluster eks-prod-use1 may report on us-east-1, not sa-east-1' });
    expect(published).toEqual([]);
  });

  it('refuses a token no cluster has', async () => {
    expect((await send('local-argocd-token', 'us-east-1')).status).toBe(401);
  });
});
