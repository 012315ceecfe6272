import * as z from '../functions/zod.js';
import { defineEvent } from './envelope.js';

export const PROVISIONING_REQUESTED_DETAIL_TYPE = 'Provisioning Requested';
export const SERVICE_CREATION_REQUESTED_DETAIL_TYPE = 'Service Creation Requested';

/** The portal stored a provisioning request; its workflow starts from this event. */
export const provisioningRequested = defineEvent({
  source: 'flightplan.portal',
  detailType: PROVISIONING_REQUESTED_DETAIL_TYPE,
  dataSchema: z.object({ requestId: z.string().check(z.minLength(1)), requestedBy: z.string().check(z.minLength(1)) }),
});

/** The portal reserved a new service's name; the service-creation workflow starts from this event. */
export const serviceCreationRequested = defineEvent({
  source: 'flightplan.portal',
  detailType: SERVICE_CREATION_REQUESTED_DETAIL_TYPE,
  dataSchema: z.object({
    service: z.string().check(z.minLength(1)),
    /** The catalog record's revision when this attempt was asked for: 0 the first time, higher after a FAILED one. */
    attempt: z._default(z.number().check(z.int(), z.nonnegative()), 0),
    requestedBy: z.string().check(z.minLength(1)),
  }),
});

export const startProvisioningPattern = {
  source: ['flightplan.portal'],
  'detail-type': [PROVISIONING_REQUESTED_DETAIL_TYPE],
} as const;
export const startServiceCreationPattern = {
  source: ['flightplan.portal'],
  'detail-type': [SERVICE_CREATION_REQUESTED_DETAIL_TYPE],
} as const;

export const provisioningRequestedSample = provisioningRequested.build(
  { requestId: 'prv-2f6c1a9e0b7d4c35a8e1', requestedBy: 'alice' },
  { causationId: 'portal:alice' },
);
export const serviceCreationRequestedSample = serviceCreationRequested.build(
  { service: 'payments-ledger', attempt: 0, requestedBy: 'alice' },
  { causationId: 'portal:alice' },
);
