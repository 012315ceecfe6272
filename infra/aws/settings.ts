import type { App } from 'aws-cdk-lib';
import * as z from '../../functions/zod.js';
import { freezeWindowsSchema, type FreezeWindow } from '../../functions/domain/freeze-window.js';
import { accountsSchema, type Accounts } from '../../functions/domain/accounts.js';
import { isGroupPath } from '../../functions/config.js';
import {
  parseHealthSources,
  workloadAccountsSchema,
  type HealthSources,
  type WorkloadAccounts,
} from '../../functions/health-settings.js';

/** Everything that differs between installations, from CDK context (`cdk.json` or `-c key=value`). */
export interface FlightplanSettings {
  account: string;
  homeRegion: string;
  workloadRegions: string[];
  jwtIssuer: string;
  jwtAudience: string;
  /** The public Keycloak client the web console signs in with (authorization code + PKCE). */
  consoleClientId: string;
  gitopsRepository: string;
  githubAppId: string;
  githubAppInstallationId: string;
  /** Passed to the functions that need them as FLIGHTPLAN_FREEZE_WINDOWS; validated at synth. */
  freezeWindows: FreezeWindow[];
  /** Self-service: where new repositories and Terraform pull requests go, and each environment's account. */
  githubOrganization: string;
  terraformRepository: string;
  terraformModuleSource: string;
  terraformApplyWorkflow: string;
  accounts: Accounts;
  /**
   * `flightplan:workloadAccounts`: each environment's account and regions, where the workload
   * stacks go and health is read through FlightplanHealthReader. Absent: one account, as before.
   */
  workloadAccounts?: WorkloadAccounts;
  /** `flightplan:healthSources`: CloudWatch or Prometheus, per environment (CloudWatch where absent). */
  healthSources: HealthSources;
  /** Domains an SNS `https` subscription may deliver to; none unless listed (`flightplan:snsHttpsDomains`). */
  snsHttpsDomains: string[];
  /** Absolute URL that Flightplan's links in Slack start with (`flightplan:portalUrl`). */
  portalUrl: string;
  /** The Keycloak group whose direct subgroups are the teams (`flightplan:teamGroupParent`, `/`). */
  teamGroupParent: string;
  /** Optional custom domain for the API, with an ACM certificate ARN in the home region. */
  customDomain?: { name: string; certificateArn: string };
  /** `flightplan:ingressLimits`: each ingress function's route throttling and reserved concurrency. */
  ingressLimits: IngressLimits;
  /** `flightplan:tracing`: what X-Ray shows of a function (TRACING_MODES). */
  tracing: TracingMode;
}

/**
 * `invocations` (the default): Lambda's active tracing alone, each invocation a segment, and the
 * bundles leave Powertools Tracer and the X-Ray SDK under it out (about 120 KB, and about 0.5× an
 * empty handler per cold start: `npm run bench -- cold-start`). The X-Ray SDK is in maintenance
 * since 25 February 2026 and gets no release after 25 February 2027, so no function carries it
 * unless asked. `aws-calls`: the same, plus a Powertools Tracer subsegment for every AWS call.
 */
export const TRACING_MODES = ['aws-calls', 'invocations'] as const;
export type TracingMode = (typeof TRACING_MODES)[number];
export const DEFAULT_TRACING: TracingMode = 'invocations';

export function tracingFrom(value: unknown): TracingMode {
  if (value === undefined) return DEFAULT_TRACING;
  const mode = TRACING_MODES.find((candidate) => candidate === value);
  if (!mode)
    throw new Error(
      `CDK context flightplan:tracing must be ${TRACING_MODES.join(' or ')}, got ${JSON.stringify(value)}`,
    );
  return mode;
}

export type IngressFunction = 'githubWebhook' | 'argocdWebhook' | 'slackInteractions' | 'portalApi';

/**
 * Per ingress function: the throttling of each of its routes (requests per second, and the burst
 * a route's token bucket holds) and the Lambda concurrency reserved for it, so a flood on one
 * route (an unauthenticated webhook) can neither use up another's requests nor its concurrency.
 * `reservedConcurrency: null` reserves none (an account whose concurrency quota is too small).
 */
export interface IngressLimit {
  rateLimit: number;
  burstLimit: number;
  reservedConcurrency: number | null;
}
export type IngressLimits = Record<IngressFunction, IngressLimit>;

/** Sane for one organization: Slack votes must answer within 3 s whatever GitHub sends. */
export const DEFAULT_INGRESS_LIMITS: IngressLimits = {
  githubWebhook: { rateLimit: 50, burstLimit: 100, reservedConcurrency: 20 },
  argocdWebhook: { rateLimit: 20, burstLimit: 40, reservedConcurrency: 5 },
  slackInteractions: { rateLimit: 20, burstLimit: 40, reservedConcurrency: 10 },
  portalApi: { rateLimit: 50, burstLimit: 100, reservedConcurrency: 20 },
};

const ingressLimitSchema = z.partial(
  z.strictObject({
    rateLimit: z.number().check(z.positive()),
    burstLimit: z.number().check(z.int(), z.gte(0)),
    reservedConcurrency: z.nullable(z.number().check(z.int(), z.positive())),
  }),
);
const ingressLimitsSchema = z.partial(
  z.strictObject({
    githubWebhook: ingressLimitSchema,
    argocdWebhook: ingressLimitSchema,
    slackInteractions: ingressLimitSchema,
    portalApi: ingressLimitSchema,
  }),
);

/** The defaults, with what the context sets for a function replacing them field by field. */
export function ingressLimitsFrom(value: unknown): IngressLimits {
  const parsed = ingressLimitsSchema.safeParse(value ?? {});
  if (!parsed.success)
    throw new Error(
      `CDK context flightplan:ingressLimits must map githubWebhook, argocdWebhook, slackInteractions or portalApi to { rateLimit, burstLimit, reservedConcurrency }: ${parsed.error.message}`,
    );
  const limits = { ...DEFAULT_INGRESS_LIMITS };
  for (const id of Object.keys(limits) as IngressFunction[]) {
    limits[id] = { ...limits[id], ...parsed.data[id] };
  }
  return limits;
}

export function settingsFrom(app: App): FlightplanSettings {
  const read = (key: string): unknown => app.node.tryGetContext(`flightplan:${key}`);
  const text = (key: string): string => {
    const value = read(key);
    if (typeof value !== 'string' || value === '')
      throw new Error(`CDK context flightplan:${key} is required (cdk.json or -c flightplan:${key}=...)`);
    return value;
  };
  const regions = read('workloadRegions');
  return {
    account: text('account'),
    homeRegion: text('homeRegion'),
    workloadRegions: Array.isArray(regions) ? regions.map(String) : [text('homeRegion')],
    jwtIssuer: text('jwtIssuer'),
    jwtAudience: text('jwtAudience'),
    consoleClientId:
      typeof read('consoleClientId') === 'string' ? String(read('consoleClientId')) : 'flightplan-console',
    gitopsRepository: text('gitopsRepository'),
    githubAppId: githubId('githubAppId', text('githubAppId')),
    githubAppInstallationId: githubId('githubAppInstallationId', text('githubAppInstallationId')),
    freezeWindows: freezeWindowsSchema.parse(read('freezeWindows') ?? []),
    githubOrganization: text('githubOrganization'),
    terraformRepository: text('terraformRepository'),
    terraformModuleSource:
      typeof read('terraformModuleSource') === 'string'
        ? String(read('terraformModuleSource'))
        : `git::https://github.com/${text('githubOrganization')}/terraform-aws-modules.git`,
    terraformApplyWorkflow:
      typeof read('terraformApplyWorkflow') === 'string' ? String(read('terraformApplyWorkflow')) : 'terraform-apply',
    accounts: accountsSchema.parse(read('accounts')),
    ...workloadAccountsFrom(read('workloadAccounts'), accountsSchema.parse(read('accounts'))),
    healthSources: parseHealthSources(read('healthSources')),
    snsHttpsDomains: domainsFrom(read('snsHttpsDomains')),
    portalUrl: absoluteUrl('portalUrl', text('portalUrl')),
    teamGroupParent: groupPath('teamGroupParent', read('teamGroupParent') ?? '/'),
    ...customDomainFrom(read('domainName'), read('certificateArn')),
    ingressLimits: ingressLimitsFrom(read('ingressLimits')),
    tracing: tracingFrom(read('tracing')),
  };
}

/** Self-service writes Terraform for `flightplan:accounts`; health is read in the workload accounts: they must be the same. */
function workloadAccountsFrom(value: unknown, accounts: Accounts): { workloadAccounts?: WorkloadAccounts } {
  if (value === undefined) return {};
  const workloadAccounts = workloadAccountsSchema.parse(value);
  for (const environment of ['hml', 'prod'] as const) {
    if (workloadAccounts[environment].account !== accounts[environment]) {
      throw new Error(
        `CDK context flightplan:workloadAccounts.${environment}.account (${workloadAccounts[environment].account}) and flightplan:accounts.${environment} (${accounts[environment]}) must name the same account`,
      );
    }
  }
  return { workloadAccounts };
}

/**
 * GitHub App and installation ids are positive integers. Octokit's App auth reads them as numbers
 * and refuses 0, so "000000" would deploy a stack whose every GitHub call fails.
 */
function githubId(key: string, value: string): string {
  if (!/^\d+$/u.test(value) || Number(value) === 0)
    throw new Error(`CDK context flightplan:${key} must be the GitHub App's numeric id (not 0), got "${value}"`);
  return value;
}

function groupPath(key: string, value: unknown): string {
  if (typeof value !== 'string' || !isGroupPath(value))
    throw new Error(`CDK context flightplan:${key} must be a Keycloak group path such as / or /org`);
  return value;
}

function absoluteUrl(key: string, value: string): string {
  if (!/^https:\/\/[^\s/]+/u.test(value))
    throw new Error(`CDK context flightplan:${key} must be an absolute https:// URL`);
  return value;
}

function domainsFrom(value: unknown): string[] {
  if (value === undefined) return [];
  const domains =
    typeof value === 'string'
      ? value
          .split(',')
          .map((domain) => domain.trim())
          .filter(Boolean)
      : value;
  if (
    !Array.isArray(domains) ||
    !domains.every((domain) => typeof domain === 'string' && /^(?:[a-z0-9-]+\.)+[a-z]{2,}$/u.test(domain))
  ) {
    throw new Error(
      'CDK context flightplan:snsHttpsDomains must be a list of domain names (["hooks.example.com"] or "a.example,b.example")',
    );
  }
  return domains as string[];
}

function customDomainFrom(
  name: unknown,
  certificateArn: unknown,
): { customDomain?: { name: string; certificateArn: string } } {
  if (name === undefined && certificateArn === undefined) return {};
  if (typeof name !== 'string' || typeof certificateArn !== 'string' || !/^arn:aws[\w-]*:acm:/u.test(certificateArn)) {
    throw new Error(
      'CDK context flightplan:domainName and flightplan:certificateArn (an ACM certificate ARN) go together',
    );
  }
  return { customDomain: { name, certificateArn } };
}
