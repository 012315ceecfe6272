import { termsOf, type Approval } from './approval.js';
import { PLATFORM_TEAM } from './catalog.js';
import { ForbiddenError } from '../errors.js';

/**
 * What a caller may read through the portal: their own teams' services, deployments,
 * provisioning requests and approvals, or everything for platform-team, which runs them all.
 */
export type ReadScope =
  { readonly everything: true } | { readonly everything: false; readonly teams: readonly string[] };

export const readScopeFor = (teams: readonly string[]): ReadScope =>
  teams.includes(PLATFORM_TEAM) ? { everything: true } : { everything: false, teams };

/** The teams that may read a service, deployment or provisioning request: its owner. */
export const readersOf = (record: { team: string }): string[] => [record.team];

/** An approval is also read by every team that may vote on it. */
export const readersOfApproval = (approval: Approval): string[] => [
  ...new Set([approval.team, ...termsOf(approval).eligibleTeams]),
];

export const mayRead = (scope: ReadScope, readers: readonly string[]): boolean =>
  scope.everything || readers.some((team) => scope.teams.includes(team));

/** A record of another team is refused by name, not hidden: the catalog already shows who owns what. */
export function assertMayRead(scope: ReadScope, what: string, readers: readonly string[]): void {
  if (!mayRead(scope, readers))
    throw new ForbiddenError(
      `${what} belongs to ${readers[0] ?? 'another team'}: only its team and ${PLATFORM_TEAM} may read it`,
    );
}
