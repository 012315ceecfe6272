import * as z from '../zod.js';

/**
 * Where a repository describes itself to Backstage, and so to Flightplan. Here rather than beside
 * the YAML reader (backstage-component.ts), so the GitHub webhook, which only matches the path,
 * does not bundle the YAML parser.
 */
export const CATALOG_FILE = 'catalog-info.yaml';

export const environmentSchema = z.enum(['hml', 'prod']);
export type Environment = z.infer<typeof environmentSchema>;

export const tierSchema = z.enum(['T1', 'T2', 'T3']);
export type Tier = z.infer<typeof tierSchema>;

export const serviceNameSchema = z
  .string()
  .check(
    z.regex(
      /^[a-z][a-z0-9-]{1,38}[a-z0-9]$/u,
      'a DNS-safe name: lower-case letters, digits and dashes, 3 to 40 characters',
    ),
  );

export const serviceSchema = z.object({
  name: serviceNameSchema,
  repository: z.string().check(z.regex(/^[\w.-]+\/[\w.-]+$/u, 'owner/name')),
  team: z.string(),
  tier: tierSchema,
  imageRepository: z.string(),
  /** Where deployment news goes; defaults to the team's deploy channel. */
  slackChannel: z.optional(z.string()),
  /** The business domain, part of every secret path; defaults to the team. */
  domain: z.optional(z.string()),
  /**
   * CREATING while the service-creation workflow runs; only ACTIVE services deploy. INACTIVE: its
   * catalog-info.yaml was removed or renamed, or platform-team retired it; its history stays.
   */
  status: z._default(z.enum(['CREATING', 'ACTIVE', 'FAILED', 'INACTIVE']), 'ACTIVE'),
  description: z.optional(z.string()),
  template: z.optional(z.string()),
  /** The repository with the service's Terraform and infrastructure code. */
  infraRepository: z.optional(z.string()),
  createdBy: z.optional(z.string()),
  createdAt: z.optional(z.string()),
  failureReason: z.optional(z.string()),
  revision: z._default(z.number().check(z.int(), z.nonnegative()), 0),
});
export type Service = z.infer<typeof serviceSchema>;
export type ServiceStatus = Service['status'];

/**
 * A person's login as Flightplan writes it into pull requests, Terraform tags and audit entries:
 * a GitHub login or a Keycloak username (which may be an e-mail address). Nothing else: no
 * spaces, quotes or line breaks, which would let a login write into generated code.
 */
export const loginSchema = z
  .string()
  .check(
    z.regex(
      /^[A-Za-z0-9][A-Za-z0-9._@+-]{0,99}$/u,
      'a login: letters, digits and . _ @ + -, 1 to 100 characters, starting with a letter or digit',
    ),
  );

/** An image tag, as a portal deploy's `version` and a release's tag must be: what ECR and the GitOps files accept. */
export const imageTagSchema = z
  .string()
  .check(z.regex(/^[\w.+-]{1,128}$/u, 'an image tag: letters, digits, . _ + -, at most 128 characters'));

const HOST_LABEL = '[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?';
/** OCI distribution spec, "Pulling manifests": `[a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*`, one per `/`. */
const PATH_COMPONENT = '[a-z0-9]+(?:(?:\\.|__?|-+)[a-z0-9]+)*';

/**
 * Where a service's images are pushed: `registry-host[:port]/path`, with no tag or digest (Flightplan
 * pins the digest). The host is required and must read as one to a container runtime (a dot, a
 * port or `localhost`), or the kubelet would pull `payments/orders-api` from Docker Hub while the
 * ECR adapter, which drops everything before the first `/`, resolved the digest of
 * `orders-api`. The value is written into the GitOps values file Helm reads, so nothing else
 * (spaces, line breaks, a tag or digest) is allowed. 255 is the distribution spec's limit on a name.
 */
export const imageRepositorySchema = z
  .string()
  .check(
    z.maxLength(255, 'an image repository of at most 255 characters'),
    z.regex(
      new RegExp(
        `^(?:(?:${HOST_LABEL}(?:\\.${HOST_LABEL})+|localhost)(?::[0-9]{1,5})?|${HOST_LABEL}:[0-9]{1,5})/${PATH_COMPONENT}(?:/${PATH_COMPONENT})*$`,
        'u',
      ),
      'an image repository without tag or digest: registry-host[:port]/path in lower case, such as 123456789012.dkr.ecr.us-east-1.amazonaws.com/orders-api',
    ),
  );

/** Where a service's deployment news and approvals go: a channel by name, as Slack names them. */
export const slackChannelSchema = z.string().check(z.regex(/^#[\w-]{1,80}$/u, 'a channel such as #deploys-payments'));

/** A GitHub login (a user, or an app as `name[bot]`), as a webhook's sender or author carries it. */
export const githubLoginSchema = z
  .string()
  .check(z.regex(/^[A-Za-z0-9][A-Za-z0-9-]{0,38}(\[bot\])?$/u, 'a GitHub login'));

/** Names Flightplan itself acts under in audit trails; no person may take one. */
export const RESERVED_ACTORS: readonly string[] = ['flightplan', 'github', 'argocd', 'slack', 'system'];

export const isReservedActor = (login: string): boolean => RESERVED_ACTORS.includes(login.toLowerCase());

export const PLATFORM_TEAM = 'platform-team';
export const PLATFORM_CHANNEL = '#platform-team';

export const deployChannelOf = (service: Pick<Service, 'team' | 'slackChannel'>): string =>
  service.slackChannel ?? `#deploys-${service.team}`;
