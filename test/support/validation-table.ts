import type * as z from '../../functions/zod.js';
import { busEventSchema } from '../../events/envelope.js';
import { problemFor, type Problem } from '../../functions/http/problem.js';
import { provisioningRequestBodySchema } from '../../functions/domain/provisioning.js';
import { serviceCreationBodySchema } from '../../functions/domain/service-creation.js';
import { serviceRegistrationSchema } from '../../functions/use-cases/catalog-admin.js';
import { personUpdateSchema } from '../../functions/use-cases/directory.js';
import { deploymentRequestSchema } from '../../functions/use-cases/request-deployment.js';

/** Bad inputs for the schemas behind the API and the bus, each with the problem+json it gets. */
const BAD_INPUTS: [string, z.ZodMiniType, unknown][] = [
  ['deployment request: empty body', deploymentRequestSchema, {}],
  ['deployment request: wrong types', deploymentRequestSchema, { service: 7, environment: 'dev', version: '' }],
  [
    'deployment request: unknown field and short override',
    deploymentRequestSchema,
    { service: 'pay', environment: 'prod', version: 'v1.2.3', dryRun: true, override: { reason: 'x' } },
  ],
  ['deployment request: not an object', deploymentRequestSchema, 'deploy please'],
  ['service creation: empty body', serviceCreationBodySchema, {}],
  ['service creation: bad name and template', serviceCreationBodySchema, { name: 'Bad Name!', template: 'cobol' }],
  ['provisioning request: unknown type', provisioningRequestBodySchema, { type: 'redis' }],
  ['provisioning request: sqs without fields', provisioningRequestBodySchema, { type: 'sqs', spec: { fifo: 'yes' } }],
  [
    'person update: bad email, Slack id and teams',
    personUpdateSchema,
    { email: 'nope', slackUserId: 'x', teams: [''] },
  ],
  ['service registration: missing and unknown fields', serviceRegistrationSchema, { tier: 'T9', colour: 'red' }],
  ['bus event: empty', busEventSchema, {}],
  ['bus event: wrong detail', busEventSchema, { id: 1, source: 'x', 'detail-type': 'y', detail: 'z', time: 'now' }],
];

/** Each bad input's name and the problem it maps to (problemFor, the one place errors become problem+json). */
export function problemsForBadInputs(): [string, Problem][] {
  return BAD_INPUTS.map(([name, schema, input]) => {
    const result = schema.safeParse(input);
    return [name, result.success ? { type: 'accepted', title: '', status: 0, detail: '' } : problemFor(result.error)];
  });
}
