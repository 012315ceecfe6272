import { createHash } from 'node:crypto';
import * as z from '../zod.js';
import { serviceNameSchema, tierSchema, type Service } from './catalog.js';

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

/** Namespaces a cluster runs for the platform, beside every `kube-*` one. */
const PLATFORM_NAMESPACES = ['default', 'argocd'];
/** Keycloak's own clients in every realm; Flightplan's (`flightplan`, `flightplan-console`, `flightplan-cli`) are reserved by prefix. */
const KEYCLOAK_BUILT_IN_CLIENTS = [
  'account',
  'account-console',
  'admin-cli',
  'broker',
  'realm-management',
  'security-admin-console',
];

/**
 * Why a service may not have this name, or undefined: its repositories (`{org}/{name}` and
 * `{org}/{name}-infra`) would be the Terraform, module or GitOps repository or a template; or the
 * GitOps files it gets would be the platform's: its Argo CD applications deploy into the
 * namespace of its name (created when missing), so `kube-system` or `argocd` would run a team's
 * image there, and its Keycloak client takes its name, so `realm-management` or
 * `flightplan-console` would rewrite a client the platform relies on.
 */
export function reservedServiceNameProblem(
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
  if (name.startsWith('kube-') || PLATFORM_NAMESPACES.includes(name))
    return `${name} is a Kubernetes namespace of the platform, and a service deploys into the namespace of its name; choose another service name`;
  if (KEYCLOAK_BUILT_IN_CLIENTS.includes(name) || name === 'flightplan' || name.startsWith('flightplan-'))
    return `${name} is a Keycloak client of the platform, and a service gets the Keycloak client of its name; choose another service name`;
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
