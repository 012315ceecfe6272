import type { z } from 'zod';
import type { BusEntry } from '../../events/envelope.js';
import { deploymentRequested } from '../../events/deployment-requested.js';
import { terraformApplyCompleted, terraformPullRequestClosed } from '../../events/terraform-changed.js';
import {
  ignored,
  interpretApplyRun,
  interpretPullRequest,
  interpretRelease,
  interpretTerraformPullRequest,
  pullRequestEventSchema,
  releaseEventSchema,
  workflowRunEventSchema,
  type GithubIntent,
} from '../domain/github-delivery.js';
import { ValidationError } from '../errors.js';
import type { CatalogStore, SelfServiceSettings } from '../ports/index.js';

export interface GithubDelivery {
  eventName: string;
  deliveryId: string;
  payload: unknown;
}

export type DeliveryDecision =
  | { kind: 'publish'; entries: BusEntry[]; summary: string }
  | { kind: 'ignored'; reason: string };

/** Turns a verified GitHub delivery into the events to publish, or a reason to ignore it. Writes nothing. */
export async function acceptGithubDelivery(deps: { catalog: CatalogStore; selfService: Pick<SelfServiceSettings, 'terraformRepository' | 'terraformApplyWorkflow'> }, delivery: GithubDelivery): Promise<DeliveryDecision> {
  const intent = interpret(delivery, deps.selfService);
  if (intent.kind === 'ignored') return intent;
  const trace = { correlationId: delivery.deliveryId, causationId: `github:${delivery.deliveryId}` };
  if (intent.kind === 'terraform-pull-request-closed') {
    const { kind: _kind, ...closed } = intent;
    return { kind: 'publish', entries: [terraformPullRequestClosed.build(closed, trace)], summary: `Terraform pull request #${intent.number} ${intent.merged ? 'merged' : 'closed'}` };
  }
  if (intent.kind === 'terraform-applied') {
    const { kind: _kind, ...applied } = intent;
    return { kind: 'publish', entries: [terraformApplyCompleted.build(applied, trace)], summary: `Terraform apply of ${intent.headSha.slice(0, 7)} ended ${intent.conclusion}` };
  }
  const service = await deps.catalog.findServiceByRepository(intent.repository);
  if (!service) return { kind: 'ignored', reason: `repository ${intent.repository} is not in the Flightplan catalog` };
  if (intent.kind === 'deploy-prod') {
    const entry = deploymentRequested.build(
      {
        service: service.name,
        environment: 'prod',
        version: intent.tag,
        imageTag: intent.tag,
        requestedBy: intent.requestedBy,
        // The release, not the delivery: the same version published or redelivered twice is one deployment.
        requestKey: `release:${intent.repository}:${intent.tag}`,
        trigger: { kind: 'release', repository: intent.repository, tag: intent.tag },
      },
      trace,
    );
    return { kind: 'publish', entries: [entry], summary: `deploy ${service.name} ${intent.tag} to prod` };
  }
  const version = intent.headSha.slice(0, 7);
  const entry = deploymentRequested.build(
    {
      service: service.name,
      environment: 'hml',
      version,
      imageTag: intent.headSha,
      gitSha: intent.headSha,
      requestedBy: intent.requestedBy,
      requestKey: delivery.deliveryId,
      trigger: { kind: 'pull_request', repository: intent.repository, pullRequest: intent.pullRequest, action: intent.action },
    },
    trace,
  );
  return { kind: 'publish', entries: [entry], summary: `deploy ${service.name} ${version} to hml (PR #${intent.pullRequest})` };
}

function interpret(delivery: GithubDelivery, settings: Pick<SelfServiceSettings, 'terraformRepository' | 'terraformApplyWorkflow'>): GithubIntent {
  const isTerraform = (repository: string) => repository.toLowerCase() === settings.terraformRepository.toLowerCase();
  switch (delivery.eventName) {
    case 'ping':
      return ignored('ping');
    case 'pull_request': {
      const event = parsePayload(pullRequestEventSchema, delivery.payload, delivery.eventName);
      return isTerraform(event.repository.full_name) ? interpretTerraformPullRequest(event) : interpretPullRequest(event);
    }
    case 'workflow_run': {
      const event = parsePayload(workflowRunEventSchema, delivery.payload, delivery.eventName);
      return isTerraform(event.repository.full_name) ? interpretApplyRun(event, settings.terraformApplyWorkflow) : ignored(`workflow runs on ${event.repository.full_name} are not used by Flightplan`);
    }
    case 'release':
      return interpretRelease(parsePayload(releaseEventSchema, delivery.payload, delivery.eventName));
    default:
      return ignored(`event "${delivery.eventName}" is not used by Flightplan`);
  }
}

function parsePayload<T>(schema: z.ZodType<T>, payload: unknown, eventName: string): T {
  const result = schema.safeParse(payload);
  if (!result.success) {
    throw new ValidationError(
      `The ${eventName} payload does not have the shape GitHub sends`,
      result.error.issues.map((issue) => ({ path: issue.path.join('.'), message: issue.message })),
    );
  }
  return result.data;
}
