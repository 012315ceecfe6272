import * as z from '../zod.js';
import { approvalSchema } from '../domain/approval.js';
import { provisioningRequestBodySchema } from '../domain/provisioning.js';
import { serviceCreationBodySchema } from '../domain/service-creation.js';
import { personRecordSchema } from '../domain/identity.js';
import { serviceRegistrationSchema } from '../use-cases/catalog-admin.js';
import { personUpdateSchema } from '../use-cases/directory.js';
import { deploymentRequestSchema } from '../use-cases/request-deployment.js';
import {
  acceptedSchema,
  approvalDetailSchema,
  approvalPageSchema,
  approvalsQuerySchema,
  deploymentAcceptedSchema,
  deploymentDetailSchema,
  deploymentExecutionSchema,
  deploymentPageSchema,
  deploymentPlanSchema,
  deploymentsQuerySchema,
  liveVersionsSchema,
  overrideBodySchema,
  problemSchema,
  provisioningDetailSchema,
  provisioningPageSchema,
  provisioningQuerySchema,
  serviceDetailSchema,
  servicePageSchema,
  serviceViewSchema,
  servicesQuerySchema,
  voteBodySchema,
} from './portal-schemas.js';

interface Operation {
  method: 'get' | 'post' | 'put' | 'delete';
  path: string;
  operationId: string;
  summary: string;
  tag: string;
  query?: z.ZodMiniObject;
  body?: z.ZodMiniType;
  idempotent?: boolean;
  success: { status: number; description: string; schema: z.ZodMiniType };
  /** Problem responses besides 400, 401 and 500, which every operation can give. */
  problems?: number[];
}

const OPERATIONS: Operation[] = [
  {
    method: 'get',
    path: '/v1/deployments',
    operationId: 'listDeployments',
    summary: 'Deployments, newest first',
    tag: 'deployments',
    query: deploymentsQuerySchema,
    success: { status: 200, description: 'A page of deployments', schema: deploymentPageSchema },
    problems: [403],
  },
  {
    method: 'post',
    path: '/v1/deployments',
    operationId: 'requestDeployment',
    summary: 'Deploy a version (for example a rollback to a known-good one)',
    tag: 'deployments',
    body: deploymentRequestSchema,
    idempotent: true,
    success: { status: 202, description: 'Queued', schema: deploymentAcceptedSchema },
    problems: [403, 404, 409],
  },
  {
    method: 'get',
    path: '/v1/deployments/{id}',
    operationId: 'getDeployment',
    summary: 'A deployment with its waves, approvals and audit trail',
    tag: 'deployments',
    success: { status: 200, description: 'The deployment', schema: deploymentDetailSchema },
    problems: [403, 404],
  },
  {
    method: 'get',
    path: '/v1/deployments/{id}/execution',
    operationId: 'getDeploymentExecution',
    summary:
      'The deployment workflow execution: status and history, state by state (DescribeExecution + GetExecutionHistory)',
    tag: 'deployments',
    success: { status: 200, description: 'The execution', schema: deploymentExecutionSchema },
    problems: [403, 404],
  },
  {
    method: 'post',
    path: '/v1/deployments/{id}/abort',
    operationId: 'abortDeployment',
    summary: 'Stop a deployment and roll it back (owning team or platform-team)',
    tag: 'deployments',
    success: {
      status: 202,
      description: 'Abort requested',
      schema: z.object({
        deploymentId: z.string(),
        status: z.string(),
        abortRequestedBy: z.optional(z.nullable(z.string())),
      }),
    },
    problems: [403, 404, 409],
  },
  {
    method: 'post',
    path: '/v1/deployments/plan',
    operationId: 'planDeployment',
    summary:
      'The dry run of a deploy: waves, bakes, gates with the SLO, approval and who may give it, freeze windows, estimates; writes nothing',
    tag: 'deployments',
    body: deploymentRequestSchema,
    success: { status: 200, description: 'The plan', schema: deploymentPlanSchema },
    problems: [403, 404, 409],
  },
  {
    method: 'post',
    path: '/v1/deployments/{id}/override',
    operationId: 'overrideBlockedWave',
    summary:
      'Release a BLOCKED wave through its freeze window or alarm block (platform-team, with a reason); audited and announced',
    tag: 'deployments',
    body: overrideBodySchema,
    success: {
      status: 202,
      description: 'Released; the next retry deploys the wave',
      schema: z.object({
        deploymentId: z.string(),
        status: z.string(),
        waveOverrides: z.array(z.object({ region: z.string(), by: z.string(), reason: z.string(), at: z.string() })),
      }),
    },
    problems: [403, 404, 409],
  },
  {
    method: 'get',
    path: '/v1/approvals',
    operationId: 'listApprovals',
    summary: 'Approvals by status; PENDING lists those the caller may still decide',
    tag: 'approvals',
    query: approvalsQuerySchema,
    success: { status: 200, description: 'A page of approvals', schema: approvalPageSchema },
  },
  {
    method: 'get',
    path: '/v1/approvals/{id}',
    operationId: 'getApproval',
    summary: 'An approval with its votes and audit trail',
    tag: 'approvals',
    success: { status: 200, description: 'The approval', schema: approvalDetailSchema },
    problems: [403, 404],
  },
  {
    method: 'post',
    path: '/v1/approvals/{id}/votes',
    operationId: 'voteOnApproval',
    summary: 'Approve or reject',
    tag: 'approvals',
    body: voteBodySchema,
    success: { status: 200, description: 'The approval after the vote', schema: approvalSchema },
    problems: [403, 404, 409],
  },
  {
    method: 'get',
    path: '/v1/provisioning-requests',
    operationId: 'listProvisioningRequests',
    summary: 'Provisioning requests, newest first',
    tag: 'provisioning',
    query: provisioningQuerySchema,
    success: { status: 200, description: 'A page of provisioning requests', schema: provisioningPageSchema },
    problems: [403],
  },
  {
    method: 'post',
    path: '/v1/provisioning-requests',
    operationId: 'requestProvisioning',
    summary: 'Ask for a cloud resource; it becomes a reviewed Terraform pull request after policy checks and approval',
    tag: 'provisioning',
    body: provisioningRequestBodySchema,
    idempotent: true,
    success: { status: 202, description: 'Accepted', schema: acceptedSchema },
    problems: [403, 409],
  },
  {
    method: 'get',
    path: '/v1/provisioning-requests/{id}',
    operationId: 'getProvisioningRequest',
    summary: 'A provisioning request with its approval, pull request, outputs and audit trail',
    tag: 'provisioning',
    success: { status: 200, description: 'The request', schema: provisioningDetailSchema },
    problems: [403, 404],
  },
  {
    method: 'get',
    path: '/v1/services',
    operationId: 'listServices',
    summary: 'The service catalog',
    tag: 'services',
    query: servicesQuerySchema,
    success: { status: 200, description: 'A page of services', schema: servicePageSchema },
    problems: [403],
  },
  {
    method: 'post',
    path: '/v1/services',
    operationId: 'createService',
    summary: 'Create a service: repositories from templates, Argo CD applications, Keycloak client, catalog entry',
    tag: 'services',
    body: serviceCreationBodySchema,
    success: { status: 202, description: 'Creating', schema: acceptedSchema },
    problems: [403, 409],
  },
  {
    method: 'get',
    path: '/v1/services/{name}/live',
    operationId: 'getLiveVersions',
    summary: 'What is live where: version and digest per environment and region, and what is on its way',
    tag: 'services',
    success: { status: 200, description: 'Live versions', schema: liveVersionsSchema },
    problems: [403, 404],
  },
  {
    method: 'put',
    path: '/v1/services/{name}',
    operationId: 'registerService',
    summary: 'Register or change a service by hand, ACTIVE (platform-team); a catalog-info.yaml push does the same',
    tag: 'services',
    body: serviceRegistrationSchema,
    success: { status: 200, description: 'The service', schema: serviceViewSchema },
    problems: [403, 409],
  },
  {
    method: 'delete',
    path: '/v1/services/{name}',
    operationId: 'retireService',
    summary: 'Deactivate a service (platform-team); its history stays',
    tag: 'services',
    success: { status: 200, description: 'The service, INACTIVE', schema: serviceViewSchema },
    problems: [403, 404, 409],
  },
  {
    method: 'get',
    path: '/v1/me',
    operationId: 'getMe',
    summary: 'The caller as the directory knows them; the first call records them from the token',
    tag: 'people',
    success: { status: 200, description: 'The person', schema: personRecordSchema },
  },
  {
    method: 'get',
    path: '/v1/people/{id}',
    operationId: 'getPerson',
    summary: 'A person by Keycloak sub (platform-team, or the person themself)',
    tag: 'people',
    success: { status: 200, description: 'The person', schema: personRecordSchema },
    problems: [403, 404],
  },
  {
    method: 'put',
    path: '/v1/people/{id}',
    operationId: 'setPerson',
    summary: "Set a person's GitHub link, Slack user, email or teams by hand (platform-team); null unlinks",
    tag: 'people',
    body: personUpdateSchema,
    success: { status: 200, description: 'The person', schema: personRecordSchema },
    problems: [403, 409],
  },
  {
    method: 'get',
    path: '/v1/services/{name}',
    operationId: 'getService',
    summary: 'A service with its creation history',
    tag: 'services',
    success: { status: 200, description: 'The service', schema: serviceDetailSchema },
    problems: [403, 404],
  },
];

const PROBLEM_DESCRIPTIONS: Record<number, string> = {
  400: 'The request is not valid; `errors` lists every problem',
  401: 'No valid bearer token',
  403: 'Not allowed for the caller',
  404: 'Not found',
  409: 'Conflicts with the current state',
  500: 'Flightplan could not complete the request',
};

const jsonSchema = (schema: z.ZodMiniType, io: 'input' | 'output'): Record<string, unknown> => {
  const { $schema: _dialect, ...rest } = z.toJSONSchema(schema, {
    io,
    target: 'draft-2020-12',
    unrepresentable: 'any',
  });
  return rest;
};

function parametersOf(operation: Operation): Record<string, unknown>[] {
  const path = [...operation.path.matchAll(/\{(\w+)\}/gu)].map(([, name]) => ({
    name,
    in: 'path',
    required: true,
    schema: { type: 'string' },
  }));
  const query = Object.entries(operation.query?.shape ?? {}).map(([name, schema]) => {
    const { description, ...rest } = jsonSchema(schema as z.ZodMiniType, 'output');
    return {
      name,
      in: 'query',
      required: false,
      ...(typeof description === 'string' ? { description } : {}),
      schema: rest,
    };
  });
  const idempotency = operation.idempotent
    ? [
        {
          name: 'Idempotency-Key',
          in: 'header',
          required: false,
          description: 'Retries with the same key return the first result instead of asking twice',
          schema: { type: 'string', maxLength: 200 },
        },
      ]
    : [];
  return [...path, ...query, ...idempotency];
}

/** The portal API as OpenAPI 3.1, generated from the same zod schemas the handler parses with. */
export function openApiDocument(): Record<string, unknown> {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const operation of OPERATIONS) {
    const problems = [400, 401, ...(operation.problems ?? []), 500];
    (paths[operation.path] ??= {})[operation.method] = {
      operationId: operation.operationId,
      summary: operation.summary,
      tags: [operation.tag],
      security: [{ bearer: [] }],
      parameters: parametersOf(operation),
      ...(operation.body
        ? {
            requestBody: {
              required: true,
              content: { 'application/json': { schema: jsonSchema(operation.body, 'input') } },
            },
          }
        : {}),
      responses: {
        [operation.success.status]: {
          description: operation.success.description,
          content: { 'application/json': { schema: jsonSchema(operation.success.schema, 'output') } },
        },
        ...Object.fromEntries(problems.map((status) => [status, { $ref: `#/components/responses/Problem${status}` }])),
      },
    };
  }
  const problem = jsonSchema(problemSchema, 'output');
  return {
    openapi: '3.1.0',
    info: {
      title: 'Flightplan portal API',
      version: '1.0.0',
      description:
        'Deployments, approvals, cloud resources and new services for the developer portal. Errors are application/problem+json (RFC 9457). Lists are paginated with opaque cursors.',
    },
    servers: [{ url: 'http://127.0.0.1:3000', description: 'Local runtime (npm start)' }],
    tags: [
      { name: 'deployments' },
      { name: 'approvals' },
      { name: 'provisioning' },
      { name: 'services' },
      { name: 'people' },
    ],
    paths,
    components: {
      securitySchemes: {
        bearer: {
          type: 'http',
          scheme: 'bearer',
          bearerFormat: 'JWT',
          description: 'A Keycloak access token (locally: npm run -s token -- --sub <user>)',
        },
      },
      schemas: { Problem: problem },
      responses: Object.fromEntries(
        Object.entries(PROBLEM_DESCRIPTIONS).map(([status, description]) => [
          `Problem${status}`,
          {
            description,
            content: { 'application/problem+json': { schema: { $ref: '#/components/schemas/Problem' } } },
          },
        ]),
      ),
    },
  };
}
