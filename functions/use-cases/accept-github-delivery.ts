import type { z } from '../zod.js';
import type { BusEntry } from '../../events/envelope.js';
import { deploymentRequested } from '../../events/deployment-requested.js';
import { catalogFileChanged } from '../../events/catalog-file-changed.js';
import { terraformApplyCompleted, terraformPullRequestClosed } from '../../events/terraform-changed.js';
import { CATALOG_FILE } from '../domain/catalog.js';
import {
  ignored,
  interpretApplyRun,
  interpretPullRequest,
  interpretPush,
  interpretRelease,
  pushEventSchema,
  interpretTerraformPullRequest,
  pullRequestEventSchema,
  releaseEventSchema,
  workflowRunEventSchema,
  type GithubIntent,
} from '../domain/github-delivery.js';
import { mayDeployToHml, type GithubAccount } from '../domain/github-delivery.js';
import { requesterFor, type Requester } from '../domain/identity.js';
import { ValidationError } from '../errors.js';
import { personForGithubAccount } from './directory.js';
import type { CatalogStore, SelfServiceSettings } from '../ports/index.js';

export interface GithubDelivery {
  eventName: string;
  deliveryId: string;
  /** SHA-256 of the signed body: the delivery id is unsigned, and a body sent again under another is this delivery. */
  bodySha256: string;
  payload: unknown;
}

export type DeliveryDecision =
  { kind: 'publish'; entries: BusEntry[]; summary: string } | { kind: 'ignored'; reason: string };

/** Turns a verified GitHub delivery into the events to publish, or a reason to ignore it. Writes nothing. */
export async function acceptGithubDelivery(
  deps: {
    catalog: CatalogStore;
    selfService: Pick<SelfServiceSettings, 'terraformRepository' | 'terraformApplyWorkflow'>;
  },
  delivery: GithubDelivery,
): Promise<DeliveryDecision> {
  const intent = interpret(delivery, deps.selfService);
  if (intent.kind === 'ignored') return intent;
  const trace = { correlationId: delivery.deliveryId, causationId: `github:${delivery.deliveryId}` };
  if (intent.kind === 'terraform-pull-request-closed') {
    const { kind: _kind, ...closed } = intent;
    return {
      kind: 'publish',
      entries: [terraformPullRequestClosed.build(closed, trace)],
      summary: `Terraform pull request #${intent.number} ${intent.merged ? 'merged' : 'closed'}`,
    };
  }
  if (intent.kind === 'terraform-applied') {
    const { kind: _kind, ...applied } = intent;
    return {
      kind: 'publish',
      entries: [terraformApplyCompleted.build(applied, trace)],
      summary: `Terraform apply of ${intent.headSha.slice(0, 7)} ended ${intent.conclusion}`,
    };
  }
  if (intent.kind === 'catalog-file-changed') {
    const changed = catalogFileChanged.build(
      { repository: intent.repository, revision: intent.revision, pushedBy: intent.sender },
      trace,
    );
    return {
      kind: 'publish',
      entries: [changed],
      summary: `${CATALOG_FILE} of ${intent.repository} changed at ${intent.revision.slice(0, 7)}`,
    };
  }
  const service = await deps.catalog.findServiceByRepository(intent.repository);
  if (!service) return { kind: 'ignored', reason: `repository ${intent.repository} is not in the Flightplan catalog` };
  if (intent.kind === 'deploy-prod') {
    const requesters = uniqueRequesters(
      await Promise.all([requesterOf(deps, intent.author), requesterOf(deps, intent.publisher)]),
    );
    const entry = deploymentRequested.build(
      {
        service: service.name,
        environment: 'prod',
        version: intent.tag,
        imageTag: intent.tag,
        requestedBy: requesters[0]?.personId ?? intent.author.login,
        requesters,
        // The release, not the delivery: the same version published or redelivered twice is one deployment.
        requestKey: `release:${intent.repository}:${intent.tag}`,
        trigger: { kind: 'release', repository: intent.repository, tag: intent.tag },
      },
      trace,
    );
    return { kind: 'publish', entries: [entry], summary: `deploy ${service.name} ${intent.tag} to prod` };
  }
  const sender = await personForGithubAccount(deps, intent.sender);
  if (!mayDeployToHml(sender?.teams, service.team)) {
    return {
      kind: 'ignored',
      reason: sender
        ? `${intent.sender.login} is neither in ${service.team} nor in platform-team: only their ${intent.action === 'labeled' ? 'label' : 'push'} deploys ${service.name}`
        : `GitHub user ${intent.sender.login} is not in the Flightplan directory: only a member of ${service.team} or platform-team deploys ${service.name}`,
    };
  }
  const version = intent.headSha.slice(0, 7);
  const entry = deploymentRequested.build(
    {
      service: service.name,
      environment: 'hml',
      version,
      imageTag: intent.headSha,
      gitSha: intent.headSha,
      requestedBy: sender?.id ?? intent.sender.login,
      requesters: [requesterFor(sender, intent.sender)],
      // The signed body, not the delivery id, which the signature does not cover: one sent again
      // under a new delivery id must not start its commit again. Each label or push is a new body
      // (updated_at moves), except two within one second, which deploy the same commit anyway.
      requestKey: `pull_request:${delivery.bodySha256}`,
      trigger: {
        kind: 'pull_request',
        repository: intent.repository,
        pullRequest: intent.pullRequest,
        action: intent.action,
        ...(intent.updatedAt ? { updatedAt: intent.updatedAt } : {}),
      },
    },
    trace,
  );
  return {
    kind: 'publish',
    entries: [entry],
    summary: `deploy ${service.name} ${version} to hml (PR #${intent.pullRequest})`,
  };
}

async function requesterOf(deps: { catalog: CatalogStore }, account: GithubAccount): Promise<Requester> {
  return requesterFor(await personForGithubAccount(deps, account), account);
}

/** One entry per person (or per GitHub login when nobody in the directory has it). */
function uniqueRequesters(requesters: Requester[]): Requester[] {
  const seen = new Set<string>();
  return requesters.filter((requester) => {
    const key = requester.personId
      ? `person:${requester.personId}`
      : `github:${requester.github?.login.toLowerCase() ?? requester.name}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

function interpret(
  delivery: GithubDelivery,
  settings: Pick<SelfServiceSettings, 'terraformRepository' | 'terraformApplyWorkflow'>,
): GithubIntent {
  const isTerraform = (repository: string) => repository.toLowerCase() === settings.terraformRepository.toLowerCase();
  switch (delivery.eventName) {
    case 'ping':
      return ignored('ping');
    case 'pull_request': {
      const event = parsePayload(pullRequestEventSchema, delivery.payload, delivery.eventName);
      return isTerraform(event.repository.full_name)
        ? interpretTerraformPullRequest(event)
        : interpretPullRequest(event);
    }
    case 'workflow_run': {
      const event = parsePayload(workflowRunEventSchema, delivery.payload, delivery.eventName);
      return isTerraform(event.repository.full_name)
        ? interpretApplyRun(event, settings.terraformApplyWorkflow)
        : ignored(`workflow runs on ${event.repository.full_name} are not used by Flightplan`);
    }
    case 'push':
      return interpretPush(parsePayload(pushEventSchema, delivery.payload, delivery.eventName), CATALOG_FILE);
    case 'release':
      return interpretRelease(parsePayload(releaseEventSchema, delivery.payload, delivery.eventName));
    default:
      return ignored(`event "${delivery.eventName}" is not used by Flightplan`);
  }
}

function parsePayload<T>(schema: z.ZodMiniType<T>, payload: unknown, eventName: string): T {
  const result = schema.safeParse(payload);
  if (!result.success) {
    throw new ValidationError(
      `The ${eventName} payload does not have the shape GitHub sends`,
      result.error.issues.map((issue) => ({ path: issue.path.join('.'), message: issue.message })),
    );
  }
  return result.data;
}
