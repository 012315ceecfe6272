import { z } from 'zod';
import type { GithubSimulator } from '../../functions/adapters/local/github-simulator.js';
import { json, parseJson, type HttpEvent } from '../../functions/http/http-handler.js';
import { ValidationError } from '../../functions/errors.js';
import type { SelfServiceSettings } from '../../functions/ports/index.js';
import { pullRequestPayload, pushPayload, workflowRunPayload } from './github-payloads.js';
import { type LocalRoute } from './http-server.js';
import { control } from './control-routes.js';

const pullRequestQuerySchema = z.object({
  repository: z.string().min(1).optional(),
  state: z.enum(['open', 'merged', 'closed']).optional(),
});
const mergeSchema = z.object({
  repository: z.string().min(1).optional(),
  /** Who merged: the sender of the webhooks. */
  by: z.string().min(1).default('carol'),
  /** How the apply workflow's run on the merge commit ends; `none` sends no workflow_run yet. */
  apply: z.enum(['success', 'failure', 'cancelled', 'none']).default('success'),
});

const commitSchema = z
  .object({
    /** Path → content; null deletes the file. */
    files: z.record(
      z
        .string()
        .min(1)
        .refine((path) => !path.startsWith('/') && !path.split('/').includes('..'), 'a path inside the repository'),
      z.string().nullable(),
    ),
    message: z.string().min(1),
    /** The GitHub login that pushes: the push webhook's sender. */
    author: z.string().min(1).default('carol'),
  })
  .strict();
const closeSchema = z.object({ repository: z.string().min(1).optional(), by: z.string().min(1).default('carol') });

type WebhookDelivery = (
  eventName: string,
  payload: Record<string, unknown>,
) => Promise<{ event: string; status: number; body: unknown }>;

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
  const numberOf = (event: HttpEvent) => z.coerce.number().int().positive().parse(event.pathParameters?.['number']);
  let runId = Date.now() % 1_000_000;
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
    control('GET', '/local/github/pull-requests', (event) => {
      const query = pullRequestQuerySchema.parse(event.queryStringParameters ?? {});
      return json(200, {
        items: github.listPullRequests({
          ...(query.repository ? { repository: query.repository } : {}),
          ...(query.state ? { state: query.state } : {}),
        }),
      });
    }),
    control('POST', '/local/github/pull-requests/{number}/merge', async (event) => {
      const request = mergeSchema.parse(parseJson(event.body || '{}'));
      const repository = request.repository ?? selfService.terraformRepository;
      const pullRequest = await github.merge(repository, numberOf(event), request.by);
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
              workflow: selfService.terraformApplyWorkflow,
              headSha: mergeCommitSha,
              conclusion: request.apply,
              runId,
              sender: request.by,
            }),
          ),
        );
      }
      return json(200, { pullRequest, deliveries });
    }),
    control('POST', '/local/github/pull-requests/{number}/close', async (event) => {
      const request = closeSchema.parse(parseJson(event.body || '{}'));
      const repository = request.repository ?? selfService.terraformRepository;
      const pullRequest = await github.close(repository, numberOf(event), request.by);
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
      return json(200, { pullRequest, deliveries: [delivery] });
    }),
  ];
}
