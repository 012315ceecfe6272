/**
 * The key schema of Flightplan's tables. The CDK stack, the local runtime (DynamoDB Local) and
 * the integration tests all create tables from these, so they cannot drift from what the
 * adapters query.
 */
export interface TableDesign {
  partitionKey: string;
  sortKey?: string;
  indexes: { name: string; partitionKey: string; sortKey: string }[];
  timeToLiveAttribute?: string;
}

export const MAIN_TABLE: TableDesign = {
  partitionKey: 'pk',
  sortKey: 'sk',
  indexes: [
    { name: 'byServiceEnvironment', partitionKey: 'gsi1pk', sortKey: 'gsi1sk' },
    { name: 'byService', partitionKey: 'gsi2pk', sortKey: 'gsi2sk' },
    { name: 'byKind', partitionKey: 'gsi3pk', sortKey: 'gsi3sk' },
  ],
  timeToLiveAttribute: 'expiresAt',
};

/** Powertools idempotency's default layout. */
export const IDEMPOTENCY_TABLE: TableDesign = {
  partitionKey: 'id',
  indexes: [],
  timeToLiveAttribute: 'expiration',
};
