import type { Environment } from './catalog.js';
import type { WorkloadAccounts } from '../health-settings.js';

/**
 * Which accounts may speak for which environment on the home bus. With workload accounts, each
 * account may put alarm state changes and Argo CD news on the bus (the bus policy cannot look at
 * the detail), so an event says something about an environment only when it comes from that
 * environment's account. Without them everything runs in one account and there is nothing to
 * tell apart.
 */
export interface EventOrigins {
  controlPlaneAccount: string;
  workloadAccounts?: WorkloadAccounts | undefined;
}

/** Where an event on the bus was put: EventBridge sets both, and keeps them when a rule forwards it. */
export interface EventOrigin {
  account: string;
  region: string;
}

/**
 * Why an event from `origin` may not speak for `environment` in `region`; undefined when it may.
 * `relayedFromControlPlane`: events the control plane itself puts (the Argo CD webhook, which has
 * already checked what the calling cluster may report on) are trusted from its own account.
 */
export function originRefusal(
  origins: EventOrigins,
  origin: EventOrigin,
  about: { environment: Environment; region: string },
  options: { relayedFromControlPlane: boolean },
): string | undefined {
  const { workloadAccounts } = origins;
  if (!workloadAccounts) return undefined;
  if (options.relayedFromControlPlane && origin.account === origins.controlPlaneAccount) return undefined;
  const expected = workloadAccounts[about.environment];
  if (origin.account !== expected.account)
    return `it came from account ${origin.account}, and ${about.environment} runs in ${expected.account}`;
  if (!expected.regions.includes(about.region))
    return `${about.environment} does not run in ${about.region} (${expected.regions.join(', ')})`;
  // A forwarding rule keeps the region it ran in; a PutEvents straight to the home bus carries the home region.
  if (origin.region !== about.region) return `it is about ${about.region} and came from ${origin.region}`;
  return undefined;
}
