import { stringify } from 'yaml';
import { LOCAL_DEFAULTS } from '../../functions/config.js';
import { ANNOTATIONS } from '../../functions/domain/backstage-component.js';
import { CATALOG_FILE } from '../../functions/domain/catalog.js';
import type { Tier } from '../../functions/domain/catalog.js';

/**
 * The demo organization (DESIGN.md, "demo catalog"), as the outside world describes it: people
 * as Keycloak tokens and Slack profiles say, services as their repositories' catalog-info.yaml
 * files say. The local runtime feeds it through the same paths a real organization uses.
 */
export interface DemoPerson {
  /** Keycloak `sub`, preferred_username and GitHub login alike. */
  name: string;
  /** Keycloak groups, with full paths as Keycloak's group mapper sends them. */
  groups: string[];
}

export const DEMO_PEOPLE: DemoPerson[] = [
  { name: 'alice', groups: ['/payments'] },
  { name: 'bob', groups: ['/payments'] },
  { name: 'erin', groups: ['/storefront'] },
  { name: 'carol', groups: ['/platform-team'] },
  { name: 'dave', groups: ['/platform-team'] },
];

export const demoEmailOf = (name: string): string => `${name}@acme.test`;
export const demoSlackIdOf = (name: string): string => `U${name.toUpperCase()}`;

/** Who commits the demo catalog files: a platform-team member may give a service to any team. */
export const DEMO_CATALOG_AUTHOR = 'carol';

export interface DemoRepository {
  repository: string;
  name: string;
  team: string;
  tier: Tier;
}

export const DEMO_REPOSITORIES: DemoRepository[] = [
  { repository: 'acme/orders-api', name: 'orders-api', team: 'payments', tier: 'T1' },
  { repository: 'acme/catalog-web', name: 'catalog-web', team: 'storefront', tier: 'T2' },
];

/** A repository's catalog-info.yaml: a Backstage Component with the annotations Flightplan reads. */
export function catalogInfoYaml(service: {
  repository: string;
  name: string;
  team: string;
  tier: Tier;
  imageRepository?: string;
  slackChannel?: string;
}): string {
  return stringify({
    apiVersion: 'backstage.io/v1alpha1',
    kind: 'Component',
    metadata: {
      name: service.name,
      annotations: {
        [ANNOTATIONS.projectSlug]: service.repository,
        [ANNOTATIONS.tier]: service.tier,
        [ANNOTATIONS.imageRepository]: service.imageRepository ?? `${LOCAL_DEFAULTS.imageRegistry}/${service.name}`,
        ...(service.slackChannel ? { [ANNOTATIONS.slackChannel]: service.slackChannel } : {}),
      },
    },
    spec: { type: 'service', lifecycle: 'production', owner: `group:default/${service.team}` },
  });
}

export { CATALOG_FILE };

/**
 * Brings the demo organization in through the paths a real one uses, over HTTP: each person
 * joins Slack (`POST /local/slack/users`) and signs in to the portal once (`GET /v1/me` with a
 * Keycloak-shaped token), and each repository gets its catalog-info.yaml pushed
 * (`POST /local/github/repositories/{owner}/{name}/commits`, which delivers the signed push).
 * Repeating it changes nothing: the same sign-in writes nothing and an unchanged file pushes no change.
 */
export async function seedDemoOrganization(
  url: string,
  signToken: (claims: { sub: string; groups: string[]; email: string; githubLogin: string }) => Promise<string>,
): Promise<void> {
  const send = async (method: string, path: string, body?: unknown, token?: string) => {
    const response = await fetch(`${url}${path}`, {
      method,
      headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    if (!response.ok)
      throw new Error(`Seeding the demo: ${method} ${path} answered ${response.status}: ${await response.text()}`);
    return response.json() as Promise<unknown>;
  };
  for (const person of DEMO_PEOPLE) {
    await send('POST', '/local/slack/users', {
      id: demoSlackIdOf(person.name),
      email: demoEmailOf(person.name),
      name: person.name,
    });
    await send(
      'GET',
      '/v1/me',
      undefined,
      await signToken({
        sub: person.name,
        groups: person.groups,
        email: demoEmailOf(person.name),
        githubLogin: person.name,
      }),
    );
  }
  for (const repository of DEMO_REPOSITORIES) await pushCatalogInfo(url, repository);
}

/**
 * A repository's catalog-info.yaml pushed by the platform team (`POST
 * /local/github/repositories/{owner}/{name}/commits`, which delivers the signed push): how a
 * service comes into the catalog, for the demo's and for a test's own.
 */
export async function pushCatalogInfo(url: string, repository: DemoRepository): Promise<void> {
  const path = `/local/github/repositories/${repository.repository}/commits`;
  const response = await fetch(`${url}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      files: { [CATALOG_FILE]: catalogInfoYaml(repository) },
      message: `Describe ${repository.name} for Backstage and Flightplan`,
      author: DEMO_CATALOG_AUTHOR,
    }),
  });
  if (!response.ok) throw new Error(`Pushing ${path} answered ${response.status}: ${await response.text()}`);
}
