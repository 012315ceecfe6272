import { PLATFORM_TEAM } from './catalog.js';

/** Who may act on a service's deployments: its owning team, and platform-team for every service. */
export function mayOperate(teamsOfCaller: readonly string[], owningTeam: string): boolean {
  return teamsOfCaller.includes(owningTeam) || teamsOfCaller.includes(PLATFORM_TEAM);
}
