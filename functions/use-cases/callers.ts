import type { CatalogStore } from '../ports/index.js';

export interface Caller {
  login: string;
  /** Groups from the token (Keycloak); the directory adds the teams it knows. */
  groups: string[];
}

/** A caller's teams: the token's groups and the directory's teams for that login. */
export async function teamsOf(deps: { catalog: CatalogStore }, caller: Caller): Promise<string[]> {
  const person = await deps.catalog.getPerson(caller.login);
  return [...new Set([...caller.groups, ...(person?.teams ?? [])])];
}
