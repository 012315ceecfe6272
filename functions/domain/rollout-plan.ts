import type { Environment, Tier } from './catalog.js';
import { MINUTE } from './time.js';

export interface PlannedWave {
  region: string;
  /** The Argo CD destination cluster for this environment and region. */
  cluster: string;
  /** Seconds to watch the wave after its health gate before moving on; 0 means no bake. */
  bakeSeconds: number;
}

export type RolloutMode = 'standard' | 'rollback';

const REGION_CODES: Record<string, string> = { 'us-east-1': 'use1', 'sa-east-1': 'sae1' };

export const regionCode = (region: string): string => REGION_CODES[region] ?? region.replace(/-/gu, '');

export const clusterFor = (environment: Environment, region: string): string =>
  `eks-${environment}-${regionCode(region)}`;

/** The Argo CD application that runs a service in one environment and region. */
export const argoAppName = (service: string, environment: Environment, region: string): string =>
  `${service}-${environment}-${regionCode(region)}`;

const PROD_BAKE_SECONDS = 30 * MINUTE;

/**
 * The waves a deployment goes through. HML is one wave with a health gate and no bake (the label
 * is the intent); PROD goes to us-east-1 first and bakes there before sa-east-1 is touched, so a
 * bad release never reaches the second region. A rollback deploy skips bakes: getting back to a
 * known-good version fast matters more than watching it, and the health gates still run.
 */
export function planRollout(environment: Environment, _tier: Tier, mode: RolloutMode = 'standard'): PlannedWave[] {
  if (environment === 'hml') {
    return [{ region: 'us-east-1', cluster: clusterFor('hml', 'us-east-1'), bakeSeconds: 0 }];
  }
  return [
    {
      region: 'us-east-1',
      cluster: clusterFor('prod', 'us-east-1'),
      bakeSeconds: mode === 'rollback' ? 0 : PROD_BAKE_SECONDS,
    },
    { region: 'sa-east-1', cluster: clusterFor('prod', 'sa-east-1'), bakeSeconds: 0 },
  ];
}
