/**
 * Regions the platform runs workloads in; the rollout waves use the same two. Apart from the
 * provisioning domain so that the service templates can name them without building its schemas.
 */
export const WORKLOAD_REGIONS = ['us-east-1', 'sa-east-1'] as const;
