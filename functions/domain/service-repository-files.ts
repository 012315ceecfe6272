import { stringify } from 'yaml';
import type { Environment, Service } from './catalog.js';
import { argoAppName, clusterFor } from './rollout-plan.js';
import { manifestPath } from './gitops-manifest.js';
import { WORKLOAD_REGIONS } from './regions.js';

/*
 * The files service creation commits, apart from the rest of service creation so that the YAML
 * writer ships only in the functions that write them, not in the portal API.
 */

export interface RepositoryFile {
  path: string;
  content: string;
}

/** Backstage's catalog entity for the service, committed at the root of its code repository. */
export function catalogInfoFile(service: Service): RepositoryFile {
  const entity = {
    apiVersion: 'backstage.io/v1alpha1',
    kind: 'Component',
    metadata: {
      name: service.name,
      description: service.description ?? `${service.name}, created by Flightplan`,
      annotations: {
        'github.com/project-slug': service.repository,
        'flightplan.dev/service': service.name,
        // What the catalog sync reads back when this file is pushed again (functions/domain/backstage-component.ts).
        'flightplan.dev/tier': service.tier,
        'flightplan.dev/image-repository': service.imageRepository,
        ...(service.slackChannel ? { 'flightplan.dev/slack-channel': service.slackChannel } : {}),
        'argocd/app-selector': `flightplan.io/service=${service.name}`,
      },
      tags: [service.tier.toLowerCase(), ...(service.template ? [service.template] : [])],
    },
    spec: {
      type: service.template === 'static-web' ? 'website' : 'service',
      lifecycle: 'experimental',
      owner: `group:${service.team}`,
      system: service.domain ?? service.team,
    },
  };
  return { path: 'catalog-info.yaml', content: stringify(entity) };
}

const ENVIRONMENT_REGIONS: Record<Environment, readonly string[]> = { hml: ['us-east-1'], prod: WORKLOAD_REGIONS };

/**
 * The Argo CD Applications (one per environment and region, the waves of a rollout) and the
 * Keycloak client, committed to the GitOps repository in one commit.
 */
export function gitopsFiles(service: Service, gitopsRepositoryUrl: string): RepositoryFile[] {
  const applications = (Object.entries(ENVIRONMENT_REGIONS) as [Environment, readonly string[]][]).flatMap(
    ([environment, regions]) =>
      regions.map((region): RepositoryFile => {
        const name = argoAppName(service.name, environment, region);
        const application = {
          apiVersion: 'argoproj.io/v1alpha1',
          kind: 'Application',
          metadata: {
            name,
            namespace: 'argocd',
            labels: {
              'flightplan.io/service': service.name,
              'flightplan.io/environment': environment,
              'flightplan.io/region': region,
            },
            annotations: {
              'notifications.argoproj.io/subscribe.on-deployed.flightplan': '',
              'notifications.argoproj.io/subscribe.on-sync-failed.flightplan': '',
              'notifications.argoproj.io/subscribe.on-health-degraded.flightplan': '',
            },
          },
          spec: {
            project: service.team,
            source: {
              repoURL: gitopsRepositoryUrl,
              targetRevision: 'main',
              path: manifestPath(service.name, environment, region).replace(/\/image\.yaml$/u, ''),
            },
            destination: { name: clusterFor(environment, region), namespace: service.name },
            syncPolicy: { automated: { prune: true, selfHeal: true }, syncOptions: ['CreateNamespace=true'] },
          },
        };
        return { path: `argocd/applications/${name}.yaml`, content: stringify(application) };
      }),
  );
  const keycloakClient = {
    clientId: service.name,
    name: service.name,
    description: `Service account for ${service.name} (${service.team})`,
    protocol: 'openid-connect',
    publicClient: false,
    serviceAccountsEnabled: true,
    standardFlowEnabled: false,
    directAccessGrantsEnabled: false,
    attributes: { 'flightplan.io/team': service.team, 'flightplan.io/tier': service.tier },
  };
  return [
    ...applications,
    { path: `keycloak/clients/${service.name}.json`, content: `${JSON.stringify(keycloakClient, null, 2)}\n` },
  ];
}
