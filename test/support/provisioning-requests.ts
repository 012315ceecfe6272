import {
  newProvisioningRequest,
  provisioningRequestBodySchema,
  type ProvisioningRequest,
} from '../../functions/domain/provisioning.js';

/** An SQS queue that alice asks for, for orders-api (payments) in us-east-1, with the default accounts. */
export const sqsRequest = (request: {
  id: string;
  name: string;
  environment: 'hml' | 'prod';
  now: string;
  reason?: string;
}): ProvisioningRequest =>
  newProvisioningRequest({
    id: request.id,
    body: provisioningRequestBodySchema.parse({
      service: 'orders-api',
      environment: request.environment,
      region: 'us-east-1',
      type: 'sqs',
      name: request.name,
      ...(request.reason === undefined ? {} : { reason: request.reason }),
    }),
    service: { name: 'orders-api', team: 'payments' },
    requestedBy: 'alice',
    accounts: { hml: '111111111111', prod: '222222222222' },
    now: request.now,
  });
