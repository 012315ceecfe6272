import * as z from '../../functions/zod.js';
import type { GithubSimulator, SimulatedPullRequest } from '../../functions/adapters/local/github-simulator.js';
import { json, parseJson, type HttpEvent } from '../../functions/http/http-handler.js';
import { ValidationError } from '../../functions/errors.js';
import type { SelfServiceSettings } from '../../functions/ports/index.js';
import { pullRequestPayload, pushPayload, workflowRunPayload } from './github-payloads.js';
import { type LocalRoute } from './http-server.js';
import { control } from './control-routes.js';

const pullRequestQuerySchema = z.object({
  repository: z.optional(z.string().check(z.minLength(1))),
  state: z.optional(z.enum(['open', 'merged', 'closed'])),
});
const mergeSchema = z.object({
  repository: z.optional(z.string().check(z.minLength(1))),
  /** Who merged: the sender of the webhooks. */
  by: z._default(z.string().check(z.minLength(1)), 'carol'),
  /** How the apply workflow's run on the merge commit ends; `none` sends no workflow_run yet. */
  apply: z._default(z.enum(['success', 'failure', 'cancelled', 'none']), 'success'),
});

const commitSchema = z.strictObject({
  /** Path → content; null deletes the file. */
  files: z.record(
    z.string().check(
      z.minLength(1),
      z.refine((path) => !path.startsWith('/') && !path.split('/').includes('..'), 'a path inside the repository'),
    ),
    z.nullable(z.string()),
  ),
  message: z.string().check(z.minLength(1)),
  /** The GitHub login that pushes: the push webhook's sender. */
  author: z._default(z.string().check(z.minLength(1)), 'carol'),
});
const closeSchema = z.object({
  repository: z.optional(z.string().check(z.minLength(1))),
  by: z._default(z.string().check(z.minLength(1)), 'carol'),
});

export interface WebhookDeliveryResult {
  event: string;
  status: number;
  body: unknown;
}

type WebhookDelivery = (eventName: string, payload: Record<string, unknown>) => Promise<WebhookDeliveryResult>;

export interface PullRequestControlResult {
  pullRequest: SimulatedPullRequest;
  deliveries: WebhookDeliveryResult[];
}

export interface PullRequestControls {
  /** `GET /local/github/pull-requests`: `{ items }`. */
  list: (query: unknown) => { items: SimulatedPullRequest[] };
  /** Merges, then delivers `pull_request` closed and, unless `apply: none`, the apply workflow's `workflow_run`. */
  merge: (number: number, body: unknown) => Promise<PullRequestControlResult>;
  /** Closes unmerged, then delivers `pull_request` closed. */
  close: (number: number, body: unknown) => Promise<PullRequestControlResult>;
}

/**
 * What a person does to a simulated pull request, and the webhooks GitHub then sends: the same
 * for `npm start`'s controls and the twin's GitHub. Bodies default to the Terraform repository.
 */
export function pullRequestControls(
  github: GithubSimulator,
  settings: Pick<SelfServiceSettings, 'terraformRepository' | 'terraformApplyWorkflow'>,
  deliver: WebhookDelivery,
): PullRequestControls {
  let runId = Date.now() % 1_000_000;
  return {
    list: (query) => {
      const filter = pullRequestQuerySchema.parse(query ?? {});
      return {
        items: github.listPullRequests({
          ...(filter.repository ? { repository: filter.repository } : {}),
          ...(filter.state ? { state: filter.state } : {}),
        }),
      };
    },
    merge: async (number, body) => {
      const request = mergeSchema.parse(body ?? {});
      const repository = request.repository ?? settings.terraformRepository;
      const pullRequest = await github.merge(repository, number, request.by);
      const mergeCommitSha = pullRequest.mergeCommitSha ?? '';
      const deliveries = [
        await deliver(
          'pull_request',
          pullRequestPayload({
            repository,
            number: pullRequest.number,
            headSha: pullRequest.headSha,
            action: 'closed',
            state: 'closed',
            merged: true,
            mergeCommitSha,
            labels: [],
            sender: request.by,
            branch: pullRequest.branch,
          }),
        ),
      ];
      if (request.apply !== 'none') {
        runId += 1;
        deliveries.push(
          await deliver(
            'workflow_run',
            workflowRunPayload({
              repository,
              workflow: settings.terraformApplyWorkflow,
              headSha: mergeCommitSha,
              conclusion: request.apply,
              runId,
              sender: request.by,
            }),
          ),
        );
      }
      return { pullRequest, deliveries };
    },
    close: async (number, body) => {
      const request = closeSchema.parse(body ?? {});
      const repository = request.repository ?? settings.terraformRepository;
      const pullRequest = await github.close(repository, number, request.by);
      const delivery = await deliver(
        'pull_request',
        pullRequestPayload({
          repository,
          number: pullRequest.number,
          headSha: pullRequest.headSha,
          action: 'closed',
          state: 'closed',
          merged: false,
          labels: [],
          sender: request.by,
          branch: pullRequest.branch,
        }),
      );
      return { pullRequest, deliveries: [delivery] };
    },
  };
}

/**
 * What a person does on GitHub, for the demo and tests: list the simulated pull requests, merge
 * one (then GitHub's `pull_request` closed and the apply workflow's `workflow_run` webhooks are
 * delivered, signed, to /webhooks/github), or close one unmerged.
 */
export function githubControlRoutes(
  github: GithubSimulator,
  selfService: SelfServiceSettings,
  deliver: WebhookDelivery,
): LocalRoute[] {
  const numberOf = (event: HttpEvent) =>
    z.coerce.number().check(z.int(), z.positive()).parse(event.pathParameters?.['number']);
  const pullRequests = pullRequestControls(github, selfService, deliver);
  return [
    control('POST', '/local/github/repositories/{owner}/{name}/commits', async (event) => {
      const repository = `${event.pathParameters?.['owner'] ?? ''}/${event.pathParameters?.['name'] ?? ''}`;
      if (!/^[\w.-]+\/[\w.-]+$/u.test(repository))
        throw new ValidationError('The repository must be owner/name', [{ path: 'path', message: repository }]);
      const request = commitSchema.parse(parseJson(event.body || '{}'));
      const pushed = await github.push(
        repository,
        Object.entries(request.files).map(([path, content]) => ({ path, content })),
        request.message,
        request.author,
      );
      const delivery = await deliver(
        'push',
        pushPayload({
          repository,
          before: pushed.before,
          after: pushed.revision,
          message: request.message,
          added: pushed.added,
          modified: pushed.modified,
          removed: pushed.removed,
          sender: request.author,
        }),
      );
      return json(200, {
        repository,
        revision: pushed.revision,
        added: pushed.added,
        modified: pushed.modified,
        removed: pushed.removed,
        deliveries: [delivery],
      });
    }),
    control('GET', '/local/github/pull-requests', (event) =>
      json(200, pullRequests.list(event.queryStringParameters ?? {})),
    ),
    control('POST', '/local/github/pull-requests/{number}/merge', async (event) =>
      json(200, await pullRequests.merge(numberOf(event), parseJson(event.body || '{}'))),
    ),
    control('POST', '/local/github/pull-requests/{number}/close', async (event) =>
      json(200, await pullRequests.close(numberOf(event), parseJson(event.body || '{}'))),
    ),
  ];
}
