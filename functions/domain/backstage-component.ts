import { parseAllDocuments } from 'yaml';
import * as z from '../zod.js';
import {
  CATALOG_FILE,
  imageRepositorySchema,
  serviceNameSchema,
  slackChannelSchema,
  tierSchema,
  type Service,
} from './catalog.js';
import { teamNameSchema } from './service-creation.js';

const messagesOf = (error: { issues: readonly { message: string }[] }): string =>
  error.issues.map((issue) => issue.message).join('; ');

/** The Backstage annotations Flightplan reads from a Component (README, "Onboarding an existing service"). */
export const ANNOTATIONS = {
  projectSlug: 'github.com/project-slug',
  tier: 'flightplan.dev/tier',
  imageRepository: 'flightplan.dev/image-repository',
  slackChannel: 'flightplan.dev/slack-channel',
} as const;

const componentSchema = z.object({
  apiVersion: z.string().check(z.startsWith('backstage.io/')),
  kind: z.literal('Component'),
  metadata: z.object({
    name: serviceNameSchema,
    description: z.optional(z.string()),
    annotations: z._default(z.record(z.string(), z.string()), {}),
  }),
  spec: z.object({ owner: z.string().check(z.minLength(1)) }),
});

/** The service a Component describes: what the catalog keeps of it. */
export type CatalogEntry = Pick<Service, 'name' | 'repository' | 'team' | 'tier' | 'imageRepository'> &
  Partial<Pick<Service, 'slackChannel' | 'description'>>;

export type ComponentReading = { kind: 'component'; entry: CatalogEntry } | { kind: 'invalid'; problems: string[] };

/** Backstage owner references (`group:default/payments`, `group:payments`, `payments`) name the team last. */
export const teamOfOwner = (owner: string): string =>
  owner
    .replace(/^group:/u, '')
    .split('/')
    .at(-1) ?? owner;

/**
 * Reads the Component in a repository's catalog-info.yaml (one of possibly several documents).
 * It must say it is this repository (`github.com/project-slug`), so a file copied from another
 * repository cannot claim that repository's service.
 */
export function readCatalogComponent(content: string, repository: string): ComponentReading {
  let documents: unknown[];
  try {
    documents = parseAllDocuments(content).map((document) => {
      if (document.errors.length > 0) throw new Error(document.errors[0]?.message ?? 'invalid YAML');
      return document.toJS() as unknown;
    });
  } catch (error) {
    return { kind: 'invalid', problems: [`${CATALOG_FILE} is not valid YAML: ${(error as Error).message}`] };
  }
  const components = documents.filter(
    (document) =>
      typeof document === 'object' && document !== null && (document as { kind?: unknown }).kind === 'Component',
  );
  if (components.length === 0) return { kind: 'invalid', problems: [`${CATALOG_FILE} has no Component`] };
  if (components.length > 1)
    return {
      kind: 'invalid',
      problems: [`${CATALOG_FILE} has ${components.length} Components; Flightplan deploys one service per repository`],
    };
  const parsed = componentSchema.safeParse(components[0]);
  if (!parsed.success)
    return {
      kind: 'invalid',
      problems: parsed.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`),
    };
  const { metadata, spec } = parsed.data;
  const annotation = (name: string) => metadata.annotations[name]?.trim() || undefined;
  const problems: string[] = [];
  const slug = annotation(ANNOTATIONS.projectSlug);
  if (!slug) problems.push(`metadata.annotations.${ANNOTATIONS.projectSlug}: required`);
  else if (slug.toLowerCase() !== repository.toLowerCase())
    problems.push(`metadata.annotations.${ANNOTATIONS.projectSlug}: says ${slug}, but the file is in ${repository}`);
  const team = teamNameSchema.safeParse(teamOfOwner(spec.owner));
  if (!team.success)
    problems.push(`spec.owner: a group such as group:default/payments whose name is ${messagesOf(team.error)}`);
  const tier = tierSchema.safeParse(annotation(ANNOTATIONS.tier));
  if (!tier.success) problems.push(`metadata.annotations.${ANNOTATIONS.tier}: one of T1, T2, T3`);
  const imageRepositoryAnnotation = annotation(ANNOTATIONS.imageRepository);
  const imageRepository = imageRepositorySchema.safeParse(imageRepositoryAnnotation);
  if (!imageRepositoryAnnotation)
    problems.push(
      `metadata.annotations.${ANNOTATIONS.imageRepository}: required, the ECR repository the images are pushed to`,
    );
  else if (!imageRepository.success)
    problems.push(`metadata.annotations.${ANNOTATIONS.imageRepository}: ${messagesOf(imageRepository.error)}`);
  const slackChannelAnnotation = annotation(ANNOTATIONS.slackChannel);
  const slackChannel =
    slackChannelAnnotation === undefined
      ? undefined
      : slackChannelSchema.safeParse(
          slackChannelAnnotation.startsWith('#') ? slackChannelAnnotation : `#${slackChannelAnnotation}`,
        );
  if (slackChannel && !slackChannel.success)
    problems.push(`metadata.annotations.${ANNOTATIONS.slackChannel}: ${messagesOf(slackChannel.error)}`);
  if (problems.length > 0 || !team.success || !tier.success || !imageRepository.success)
    return { kind: 'invalid', problems };
  return {
    kind: 'component',
    entry: {
      name: metadata.name,
      repository,
      team: team.data,
      tier: tier.data,
      imageRepository: imageRepository.data,
      ...(slackChannel?.success ? { slackChannel: slackChannel.data } : {}),
      ...(metadata.description ? { description: metadata.description } : {}),
    },
  };
}

/** True when registering `entry` would change nothing the catalog keeps. */
export function sameEntry(service: Service, entry: CatalogEntry): boolean {
  return (
    service.repository.toLowerCase() === entry.repository.toLowerCase() &&
    service.team === entry.team &&
    service.tier === entry.tier &&
    service.imageRepository === entry.imageRepository &&
    service.slackChannel === entry.slackChannel &&
    (entry.description === undefined || service.description === entry.description)
  );
}
