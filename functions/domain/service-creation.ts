import { createHash } from 'node:crypto';
import { stringify } from 'yaml';
import * as z from '../zod.js';
import { serviceNameSchema, tierSchema, type Environment, type Service } from './catalog.js';
import { argoAppName, clusterFor } from './rollout-plan.js';
import { manifestPath } from './gitops-manifest.js';
import { WORKLOAD_REGIONS } from './provisioning.js';

/** Templates the platform maintains; each is a GitHub template repository `{org}/template-{name}`. */
export const serviceTemplateSchema = z.enum(['node-api', 'java-api', 'static-web']);
export type ServiceTemplate = z.infer<typeof serviceTemplateSchema>;

export const teamNameSchema = z
  .string()
  .check(z.regex(/^[a-z][a-z0-9-]{1,38}[a-z0-9]$/u, 'a team slug: lower-case letters, digits and dashes'));

/** `POST /v1/services`. */
export const serviceCreationBodySchema = z.strictObject({
  name: serviceNameSchema,
  team: teamNameSchema,
  tier: tierSchema,
  template: serviceTemplateSchema,
  description: z.optional(z.string().check(z.trim(), z.minLength(1), z.maxLength(300))),
  /** The business domain in secret paths; the team when absent. */
  domain: z.optional(teamNameSchema),
});
export type ServiceCreationBody = z.infer<typeof serviceCreationBodySchema>;

/**
 * The topic Flightplan sets on each repository it creates for a service, and requires before it
 * touches an existing one again: per name and team, so a repository made for one team's service
 * is never adopted for another's, and one Flightplan did not create is never adopted at all.
 */
export const repositoryMarkOf = (service: Pick<Service, 'name' | 'team'>): string =>
  `flightplan-${createHash('sha256').update(`${service.name}/${service.team}`).digest('hex').slice(0, 16)}`;

/** `owner/name` of a GitHub URL or module source (`git::https://github.com/owner/name.git//x?ref=v1`). */
const githubRepositoryOf = (url: string): string | undefined =>
  /github\.com[/:]([\w.-]+\/[\w.-]+?)(?:\.git)?(?:\/\/|[/?]|$)/u.exec(url)?.[1];

/**
 * Why a service may not have this name, or undefined: its repositories (`{org}/{name}` and
 * `{org}/{name}-infra`) would be the Terraform, module or GitOps repository or a template.
 */
export function reservedRepositoryProblem(
  name: string,
  settings: {
    organization: string;
    terraformRepository: string;
    terraformModuleSource: string;
    gitopsRepositoryUrl: string;
  },
): string | undefined {
  const platform = [
    settings.terraformRepository,
    githubRepositoryOf(settings.terraformModuleSource),
    githubRepositoryOf(settings.gitopsRepositoryUrl),
  ]
    .filter((repository): repository is string => repository !== undefined)
    .map((repository) => repository.toLowerCase());
  for (const repository of [`${settings.organization}/${name}`, `${settings.organization}/${name}-infra`].map(
    (candidate) => candidate.toLowerCase(),
  )) {
    if (platform.includes(repository)) return `${repository} is a platform repository; choose another service name`;
    if (repository.startsWith(`${settings.organization.toLowerCase()}/template-`))
      return `${repository} would be a template repository; service names may not start with template-`;
  }
  return undefined;
}

export interface ServiceLayout {
  organization: string;
  imageRegistry: string;
}

/** The catalog entry a new service starts with: CREATING, not yet reachable by its repository. */
export function newService(body: ServiceCreationBody, layout: ServiceLayout, createdBy: string, now: string): Service {
  return {
    name: body.name,
    repository: `${layout.organization}/${body.name}`,
    infraRepository: `${layout.organization}/${body.name}-infra`,
    team: body.team,
    tier: body.tier,
    imageRepository: `${layout.imageRegistry}/${body.name}`,
    template: body.template,
    ...(body.description ? { description: body.description } : {}),
    ...(body.domain ? { domain: body.domain } : {}),
    status: 'CREATING',
    createdBy,
    createdAt: now,
    revision: 0,
  };
}

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
