import { createHash } from 'node:crypto';
import * as z from '../zod.js';
import { environmentSchema, serviceNameSchema, type Environment, type Service, type Tier } from './catalog.js';
import { deploymentEventSchema, type DeploymentEvent } from './deployment.js';
import { InvalidTransitionError } from '../errors.js';
import type { Accounts } from './accounts.js';
import { WORKLOAD_REGIONS } from './regions.js';

export const workloadRegionSchema = z.enum(WORKLOAD_REGIONS);

export const resourceTypeSchema = z.enum(['sqs', 'sns', 's3', 'dynamodb', 'rds', 'elasticache']);
export type ResourceType = z.infer<typeof resourceTypeSchema>;

export const resourceNameSchema = z
  .string()
  .check(
    z.regex(
      /^[a-z][a-z0-9-]{1,30}[a-z0-9]$/u,
      'lower-case letters, digits and dashes, 3 to 32 characters, starting with a letter',
    ),
  );

/*
 * What a platform team allows for each resource type, with defaults. Encryption, public access
 * blocks, backups and deletion protection are not options: the modules always turn them on, so a
 * request that tries to set them is refused as an unknown option.
 */
const keyAttributeSchema = z.strictObject({
  name: z.string().check(z.regex(/^[A-Za-z_][\w.-]{0,254}$/u, 'an attribute name')),
  type: z._default(z.enum(['S', 'N', 'B']), 'S'),
});

export const RESOURCE_SPEC_SCHEMAS = {
  sqs: z.strictObject({
    fifo: z._default(z.boolean(), false),
    visibilityTimeoutSeconds: z._default(z.number().check(z.int(), z.gte(0), z.lte(43_200)), 30),
    retentionDays: z._default(z.number().check(z.int(), z.gte(1), z.lte(14)), 4),
    /** Messages received this many times go to the queue's dead-letter queue. */
    maxReceiveCount: z._default(z.number().check(z.int(), z.gte(1), z.lte(20)), 5),
  }),
  sns: z.strictObject({
    fifo: z._default(z.boolean(), false),
    subscriptions: z._default(
      z
        .array(
          z.strictObject({
            protocol: z.enum(['sqs', 'lambda', 'https']),
            endpoint: z.string().check(z.minLength(1), z.maxLength(2048)),
          }),
        )
        .check(z.maxLength(10)),
      [],
    ),
  }),
  s3: z.strictObject({
    versioning: z._default(z.boolean(), true),
    /** Objects expire after this many days; absent keeps them. */
    expireAfterDays: z.optional(z.number().check(z.int(), z.gte(1), z.lte(3650))),
    noncurrentVersionExpireAfterDays: z._default(z.number().check(z.int(), z.gte(1), z.lte(365)), 30),
  }),
  dynamodb: z.strictObject({
    partitionKey: keyAttributeSchema,
    sortKey: z.optional(keyAttributeSchema),
    ttlAttribute: z.optional(z.string().check(z.regex(/^[A-Za-z_][\w.-]{0,254}$/u, 'an attribute name'))),
    streams: z._default(z.boolean(), false),
  }),
  rds: z.strictObject({
    engine: z._default(z.enum(['postgres', 'mysql']), 'postgres'),
    instanceClass: z._default(
      z.enum(['db.t4g.micro', 'db.t4g.small', 'db.t4g.medium', 'db.r6g.large', 'db.r6g.xlarge', 'db.r6g.2xlarge']),
      'db.t4g.small',
    ),
    storageGb: z._default(z.number().check(z.int(), z.gte(20), z.lte(2000)), 20),
    multiAz: z._default(z.boolean(), false),
    backupRetentionDays: z._default(z.number().check(z.int(), z.gte(1), z.lte(35)), 7),
  }),
  elasticache: z.strictObject({
    engine: z._default(z.enum(['valkey', 'redis']), 'valkey'),
    nodeType: z._default(
      z.enum(['cache.t4g.micro', 'cache.t4g.small', 'cache.t4g.medium', 'cache.r7g.large', 'cache.r7g.xlarge']),
      'cache.t4g.small',
    ),
    replicas: z._default(z.number().check(z.int(), z.gte(0), z.lte(5)), 1),
  }),
} as const satisfies Record<ResourceType, z.ZodMiniType>;

const requestFields = {
  service: serviceNameSchema,
  environment: environmentSchema,
  region: workloadRegionSchema,
  name: resourceNameSchema,
  /** Why it is needed: goes into the pull request and the approval message. */
  reason: z.optional(z.string().check(z.trim(), z.minLength(1), z.maxLength(500))),
};

/** `POST /v1/provisioning-requests`: one schema per resource type, chosen by `type`. An absent spec takes every default. */
export const provisioningRequestBodySchema = z.discriminatedUnion('type', [
  z.strictObject({ ...requestFields, type: z.literal('sqs'), spec: z.prefault(RESOURCE_SPEC_SCHEMAS.sqs, {}) }),
  z.strictObject({ ...requestFields, type: z.literal('sns'), spec: z.prefault(RESOURCE_SPEC_SCHEMAS.sns, {}) }),
  z.strictObject({ ...requestFields, type: z.literal('s3'), spec: z.prefault(RESOURCE_SPEC_SCHEMAS.s3, {}) }),
  // A table has no sensible default key: the spec is required.
  z.strictObject({ ...requestFields, type: z.literal('dynamodb'), spec: RESOURCE_SPEC_SCHEMAS.dynamodb }),
  z.strictObject({ ...requestFields, type: z.literal('rds'), spec: z.prefault(RESOURCE_SPEC_SCHEMAS.rds, {}) }),
  z.strictObject({
    ...requestFields,
    type: z.literal('elasticache'),
    spec: z.prefault(RESOURCE_SPEC_SCHEMAS.elasticache, {}),
  }),
]);
export type ProvisioningRequestBody = z.infer<typeof provisioningRequestBodySchema>;
export type ResourceSpec = ProvisioningRequestBody['spec'];

export const provisioningStatusSchema = z.enum([
  'REQUESTED',
  'AWAITING_APPROVAL',
  'REJECTED',
  'PR_OPEN',
  'APPLYING',
  'COMPLETED',
  'FAILED',
]);
export type ProvisioningStatus = z.infer<typeof provisioningStatusSchema>;

const PROVISIONING_TRANSITIONS: Record<ProvisioningStatus, readonly ProvisioningStatus[]> = {
  REQUESTED: ['AWAITING_APPROVAL', 'FAILED'],
  AWAITING_APPROVAL: ['PR_OPEN', 'REJECTED', 'FAILED'],
  PR_OPEN: ['APPLYING', 'FAILED'],
  APPLYING: ['COMPLETED', 'FAILED'],
  REJECTED: [],
  COMPLETED: [],
  FAILED: [],
};

export const isProvisioningTerminal = (status: ProvisioningStatus): boolean =>
  PROVISIONING_TRANSITIONS[status].length === 0;

export const pullRequestRefSchema = z.object({
  repository: z.string(),
  number: z.number().check(z.int(), z.positive()),
  url: z.string(),
  branch: z.string(),
  state: z.enum(['open', 'merged', 'closed']),
  mergeCommitSha: z.optional(z.string()),
  closedBy: z.optional(z.string()),
});
export type PullRequestRef = z.infer<typeof pullRequestRefSchema>;

export const applyRunSchema = z.object({
  conclusion: z.string(),
  runUrl: z.string(),
  headSha: z.string(),
  runAttempt: z._default(z.number().check(z.int(), z.positive()), 1),
});
export type ApplyRun = z.infer<typeof applyRunSchema>;

export const provisioningRequestSchema = z.object({
  id: z.string(),
  status: provisioningStatusSchema,
  service: z.string(),
  team: z.string(),
  domain: z.string(),
  environment: environmentSchema,
  region: z.string(),
  type: resourceTypeSchema,
  name: z.string(),
  spec: z.record(z.string(), z.unknown()),
  reason: z.nullable(z.string()),
  requestedBy: z.string(),
  account: z.string(),
  /** Where the Terraform lives in the Terraform repository. */
  path: z.string(),
  physicalName: z.string(),
  approvalId: z.nullable(z.string()),
  pullRequest: z.nullable(pullRequestRefSchema),
  apply: z.nullable(applyRunSchema),
  outputs: z.nullable(z.record(z.string(), z.string())),
  secretPath: z.string(),
  failureReason: z.nullable(z.string()),
  /** A hash of what was asked, to tell a retried request from a different one under the same Idempotency-Key. */
  fingerprint: z.string(),
  createdAt: z.string(),
  updatedAt: z.string(),
  revision: z.number().check(z.int(), z.nonnegative()),
});
export type ProvisioningRequest = z.infer<typeof provisioningRequestSchema>;

export const provisioningChangeEventSchema = deploymentEventSchema;

/** A change to a provisioning request with the audit entry that explains it. */
export interface ProvisioningChange {
  request: ProvisioningRequest;
  event: DeploymentEvent;
}

/** The resource's AWS name. S3 names are global, so buckets carry the environment and region too. */
export function physicalNameOf(request: {
  service: string;
  name: string;
  environment: Environment;
  region: string;
  type: ResourceType;
  spec: Record<string, unknown>;
}): string {
  const base = `${request.service}-${request.name}`;
  if (request.type === 's3') return `${base}-${request.environment}-${request.region}`;
  if ((request.type === 'sqs' || request.type === 'sns') && request.spec['fifo'] === true) return `${base}.fifo`;
  return base;
}

/** The dead-letter queue the SQS module creates beside each queue. */
export const deadLetterQueueNameOf = (queueName: string): string => queueName.replace(/(\.fifo)?$/u, '-dlq$1');

/**
 * Every AWS name a request's resources take, scoped as AWS scopes names (buckets globally,
 * everything else per account and region). Two services can arrive at one name (`orders` +
 * `api-jobs` and `orders-api` + `jobs`), and SQS, SNS and S3 in us-east-1 answer a create of a
 * name the account already has with the existing resource, which Terraform would then adopt and
 * manage: so each name is claimed by one request at a time.
 */
export function awsNamesOf(
  request: Pick<ProvisioningRequest, 'type' | 'account' | 'region' | 'physicalName'>,
): string[] {
  const scope = request.type === 's3' ? 's3' : `${request.type}#${request.account}#${request.region}`;
  const names =
    request.type === 'sqs'
      ? [request.physicalName, deadLetterQueueNameOf(request.physicalName)]
      : [request.physicalName];
  return names.map((name) => `${scope}#${name}`);
}

/** AWS name length limits, the ones a long service plus resource name can break. */
const NAME_LIMITS: Record<ResourceType, number> = {
  sqs: 80,
  sns: 256,
  s3: 63,
  dynamodb: 255,
  rds: 63,
  elasticache: 40,
};

/** Resources of one type a service may have per environment and region. */
export const QUOTAS: Record<ResourceType, number> = { sqs: 20, sns: 20, s3: 10, dynamodb: 10, rds: 2, elasticache: 2 };

interface TierLimits {
  rdsInstanceClasses: readonly string[];
  maxRdsStorageGb: number;
  cacheNodeTypes: readonly string[];
  /** PROD databases and caches of this tier must survive an availability zone. */
  prodNeedsHighAvailability: boolean;
}

const SMALL_RDS = ['db.t4g.micro', 'db.t4g.small', 'db.t4g.medium'];
const SMALL_CACHE = ['cache.t4g.micro', 'cache.t4g.small', 'cache.t4g.medium'];
const ALL_RDS = RESOURCE_SPEC_SCHEMAS.rds.shape.instanceClass.def.innerType.options;
const ALL_CACHE = RESOURCE_SPEC_SCHEMAS.elasticache.shape.nodeType.def.innerType.options;

/** What each tier may ask for: a T3 service gets small instances; a T1 service in PROD must be multi-AZ. */
export const TIER_LIMITS: Record<Tier, TierLimits> = {
  T1: {
    rdsInstanceClasses: ALL_RDS,
    maxRdsStorageGb: 2000,
    cacheNodeTypes: ALL_CACHE,
    prodNeedsHighAvailability: true,
  },
  T2: {
    rdsInstanceClasses: ALL_RDS,
    maxRdsStorageGb: 1000,
    cacheNodeTypes: ALL_CACHE,
    prodNeedsHighAvailability: false,
  },
  T3: {
    rdsInstanceClasses: SMALL_RDS,
    maxRdsStorageGb: 100,
    cacheNodeTypes: SMALL_CACHE,
    prodNeedsHighAvailability: false,
  },
};

/** HML is for testing: large instances cost money and prove nothing there. */
const HML_LIMITS = { rdsInstanceClasses: SMALL_RDS, cacheNodeTypes: SMALL_CACHE };

/** Where a request lands and what it may point at outside itself (config.ts: FLIGHTPLAN_SNS_HTTPS_DOMAINS). */
export interface PolicyContext {
  /** The AWS account of the request's environment. */
  account: string;
  /** Domains (and their subdomains) an SNS `https` subscription may deliver to. */
  snsHttpsDomains: readonly string[];
}

/**
 * Why an SNS subscription endpoint is refused, or undefined: `https` only to an allow-listed
 * domain; `sqs` and `lambda` only as ARNs in the request's own account and region.
 */
export function subscriptionEndpointProblem(
  subscription: { protocol: 'sqs' | 'lambda' | 'https'; endpoint: string },
  where: { account: string; region: string; snsHttpsDomains: readonly string[] },
): string | undefined {
  const { endpoint } = subscription;
  if (subscription.protocol === 'https') {
    let url: URL;
    try {
      url = new URL(endpoint);
    } catch {
      return 'an https subscription needs an absolute https:// URL';
    }
    if (
      url.protocol !== 'https:' ||
      url.username !== '' ||
      url.password !== '' ||
      (url.port !== '' && url.port !== '443')
    )
      return 'an https subscription needs an https:// URL on port 443 without credentials';
    const host = url.hostname.toLowerCase();
    const allowed = where.snsHttpsDomains.some(
      (domain) => host === domain.toLowerCase() || host.endsWith(`.${domain.toLowerCase()}`),
    );
    return allowed
      ? undefined
      : `${host} is not an allowed https subscription domain${where.snsHttpsDomains.length > 0 ? ` (allowed: ${where.snsHttpsDomains.join(', ')})` : ' (none is allowed)'}`;
  }
  const pattern =
    subscription.protocol === 'sqs'
      ? new RegExp(`^arn:aws:sqs:${where.region}:${where.account}:[\\w-]{1,80}(\\.fifo)?$`, 'u')
      : new RegExp(`^arn:aws:lambda:${where.region}:${where.account}:function:[\\w-]{1,64}(:[\\w$-]{1,128})?$`, 'u');
  return pattern.test(endpoint)
    ? undefined
    : `a ${subscription.protocol} subscription must be the ARN of a ${subscription.protocol === 'sqs' ? 'queue' : 'function'} in account ${where.account}, ${where.region}`;
}

export interface PolicyProblem {
  path: string;
  message: string;
}

/**
 * The provisioning policy: naming, quotas and tier limits. Every problem is listed, so a person
 * fixes the request once. `existing` counts the service's live requests of that type in that
 * environment and region (this one excluded).
 */
export function checkProvisioningPolicy(
  request: ProvisioningRequestBody,
  service: Pick<Service, 'name' | 'tier'>,
  existing: number,
  context: PolicyContext,
): PolicyProblem[] {
  const problems: PolicyProblem[] = [];
  if (request.type === 'sns') {
    request.spec.subscriptions.forEach((subscription, index) => {
      const problem = subscriptionEndpointProblem(subscription, {
        account: context.account,
        region: request.region,
        snsHttpsDomains: context.snsHttpsDomains,
      });
      if (problem) problems.push({ path: `spec.subscriptions.${String(index)}.endpoint`, message: problem });
    });
  }
  const physical = physicalNameOf(request);
  if (physical.length > NAME_LIMITS[request.type]) {
    problems.push({
      path: 'name',
      message: `the ${request.type} name ${physical} would be ${physical.length} characters; AWS allows ${NAME_LIMITS[request.type]}`,
    });
  }
  if (request.name === request.service || request.name.startsWith(`${request.service}-`)) {
    problems.push({
      path: 'name',
      message: `do not repeat the service name: resources are already named ${request.service}-<name>`,
    });
  }
  if (existing >= QUOTAS[request.type]) {
    problems.push({
      path: 'type',
      message: `${request.service} already has ${existing} ${request.type} resource(s) in ${request.environment}/${request.region}; the quota is ${QUOTAS[request.type]}`,
    });
  }
  const limits = TIER_LIMITS[service.tier];
  const highAvailability = request.environment === 'prod' && limits.prodNeedsHighAvailability;
  if (request.type === 'rds') {
    const allowed =
      request.environment === 'hml'
        ? limits.rdsInstanceClasses.filter((size) => HML_LIMITS.rdsInstanceClasses.includes(size))
        : limits.rdsInstanceClasses;
    if (!allowed.includes(request.spec.instanceClass)) {
      problems.push({
        path: 'spec.instanceClass',
        message: `${request.spec.instanceClass} is not allowed for a ${service.tier} service in ${request.environment}; allowed: ${allowed.join(', ')}`,
      });
    }
    if (request.spec.storageGb > limits.maxRdsStorageGb) {
      problems.push({
        path: 'spec.storageGb',
        message: `${service.tier} services may have at most ${limits.maxRdsStorageGb} GB of database storage`,
      });
    }
    if (highAvailability && !request.spec.multiAz)
      problems.push({ path: 'spec.multiAz', message: `${service.tier} databases in prod must be multi-AZ` });
  }
  if (request.type === 'elasticache') {
    const allowed =
      request.environment === 'hml'
        ? limits.cacheNodeTypes.filter((size) => HML_LIMITS.cacheNodeTypes.includes(size))
        : limits.cacheNodeTypes;
    if (!allowed.includes(request.spec.nodeType)) {
      problems.push({
        path: 'spec.nodeType',
        message: `${request.spec.nodeType} is not allowed for a ${service.tier} service in ${request.environment}; allowed: ${allowed.join(', ')}`,
      });
    }
    if (highAvailability && request.spec.replicas < 1)
      problems.push({ path: 'spec.replicas', message: `${service.tier} caches in prod need at least 1 replica` });
  }
  if (request.type === 'dynamodb' && request.spec.sortKey?.name === request.spec.partitionKey.name) {
    problems.push({ path: 'spec.sortKey.name', message: 'the sort key must differ from the partition key' });
  }
  return problems;
}

/** `{account}/{env}/{region}/{type}/{service}/{name}.tf` (DESIGN.md). */
export const terraformPathOf = (
  request: Pick<ProvisioningRequest, 'account' | 'environment' | 'region' | 'type' | 'service' | 'name'>,
): string =>
  `${request.account}/${request.environment}/${request.region}/${request.type}/${request.service}/${request.name}.tf`;

/** Where the module stores connection details and credentials: `helpdev/{env}/{region}/{domain}/{service}/{type}`. */
export const secretPathOf = (
  request: Pick<ProvisioningRequest, 'environment' | 'region' | 'domain' | 'service' | 'type'>,
): string => `helpdev/${request.environment}/${request.region}/${request.domain}/${request.service}/${request.type}`;

export const fingerprintOf = (body: ProvisioningRequestBody): string =>
  createHash('sha256').update(JSON.stringify(body)).digest('hex');

/** The claim that makes a resource unique: one live request per Terraform file. */
export const resourceClaimOf = (
  request: Pick<ProvisioningRequest, 'environment' | 'region' | 'type' | 'service' | 'name'>,
): string => `${request.environment}/${request.region}/${request.type}/${request.service}/${request.name}`;

export function newProvisioningRequest(input: {
  id: string;
  body: ProvisioningRequestBody;
  service: Pick<Service, 'name' | 'team' | 'domain'>;
  requestedBy: string;
  accounts: Accounts;
  now: string;
}): ProvisioningRequest {
  const { body } = input;
  const domain = input.service.domain ?? input.service.team;
  const base = {
    account: input.accounts[body.environment],
    environment: body.environment,
    region: body.region,
    type: body.type,
    service: body.service,
    name: body.name,
    domain,
  };
  return {
    id: input.id,
    status: 'REQUESTED',
    ...base,
    team: input.service.team,
    spec: body.spec,
    reason: body.reason ?? null,
    requestedBy: input.requestedBy,
    path: terraformPathOf(base),
    physicalName: physicalNameOf(body),
    approvalId: null,
    pullRequest: null,
    apply: null,
    outputs: null,
    secretPath: secretPathOf(base),
    failureReason: null,
    fingerprint: fingerprintOf(body),
    createdAt: input.now,
    updatedAt: input.now,
    revision: 0,
  };
}

export function transitionProvisioning(
  request: ProvisioningRequest,
  to: ProvisioningStatus,
  audit: { now: string; actor: string; action: string; message: string },
  patch: Partial<Omit<ProvisioningRequest, 'id' | 'status' | 'revision'>> = {},
): ProvisioningChange {
  if (request.status !== to && !PROVISIONING_TRANSITIONS[request.status].includes(to)) {
    throw new InvalidTransitionError(`Provisioning request ${request.id} cannot go from ${request.status} to ${to}`);
  }
  return {
    request: { ...request, ...patch, status: to, updatedAt: audit.now },
    event: {
      at: audit.now,
      actor: audit.actor,
      action: audit.action,
      message: audit.message,
      ...(request.status === to ? {} : { fromStatus: request.status, toStatus: to }),
    },
  };
}

/** What the apply produced, by the module's naming rules; credentials and endpoints are in the secret. */
export function outputsOf(
  request: Pick<ProvisioningRequest, 'type' | 'region' | 'account' | 'physicalName' | 'secretPath'>,
): Record<string, string> {
  const { region, account, physicalName: name } = request;
  const byType: Record<ResourceType, Record<string, string>> = {
    sqs: {
      queueUrl: `https://sqs.${region}.amazonaws.com/${account}/${name}`,
      queueArn: `arn:aws:sqs:${region}:${account}:${name}`,
      deadLetterQueueArn: `arn:aws:sqs:${region}:${account}:${deadLetterQueueNameOf(name)}`,
    },
    sns: { topicArn: `arn:aws:sns:${region}:${account}:${name}` },
    s3: { bucketName: name, bucketArn: `arn:aws:s3:::${name}` },
    dynamodb: { tableName: name, tableArn: `arn:aws:dynamodb:${region}:${account}:table/${name}` },
    rds: { instanceIdentifier: name, instanceArn: `arn:aws:rds:${region}:${account}:db:${name}` },
    elasticache: {
      replicationGroupId: name,
      replicationGroupArn: `arn:aws:elasticache:${region}:${account}:replicationgroup:${name}`,
    },
  };
  return { ...byType[request.type], secretPath: request.secretPath };
}

/**
 * What a merged pull request and an apply run mean for a request waiting on them: still waiting,
 * done, or failed with the reason.
 */
export function applyOutcomeOf(
  request: Pick<ProvisioningRequest, 'pullRequest' | 'apply'>,
): { kind: 'waiting' } | { kind: 'applied' } | { kind: 'failed'; error: string; reason: string } {
  const pullRequest = request.pullRequest;
  if (pullRequest?.state === 'closed') {
    return {
      kind: 'failed',
      error: 'PullRequestClosedError',
      reason: `pull request #${pullRequest.number} was closed without merging${pullRequest.closedBy ? ` by ${pullRequest.closedBy}` : ''}`,
    };
  }
  if (pullRequest?.state !== 'merged' || !request.apply) return { kind: 'waiting' };
  if (request.apply.conclusion === 'success') return { kind: 'applied' };
  return {
    kind: 'failed',
    error: 'TerraformApplyFailedError',
    reason: `the Terraform apply ended ${request.apply.conclusion}: ${request.apply.runUrl}`,
  };
}
