import { decodeJwt } from 'jose';
import { PLATFORM_TEAM } from '../domain/catalog.js';
import {
  githubIdentitySchema,
  personFromSignIn,
  teamsFromGroupsClaim,
  type GithubIdentity,
  type Person,
  type PersonIdentity,
} from '../domain/identity.js';
import { ForbiddenError, UnauthorizedError } from '../errors.js';
import type { CatalogStore } from '../ports/index.js';

/** Who calls the portal API, from their verified token. */
export interface Caller {
  /** The token's `sub`: the person id, and the only part decisions compare. */
  id: string;
  /** `preferred_username`, or the id: shown, never compared. */
  name: string;
  /** A verified email only. */
  email?: string | undefined;
  /** Teams from Keycloak groups; undefined when the token carries no groups claim. */
  groups?: string[] | undefined;
  /** The GitHub account Keycloak links to this user (identity provider link, mapped to claims). */
  github?: GithubIdentity | undefined;
}

export type TokenClaims = Record<string, string | number | boolean | string[] | undefined>;

/** The claims Keycloak's GitHub identity link is mapped to (README, "Keycloak"). */
export const GITHUB_LOGIN_CLAIM = 'github_login';
export const GITHUB_ID_CLAIM = 'github_id';

/**
 * API Gateway's JWT authorizer passes an array claim as one string, `"[a b]"`, in which a group
 * whose name holds a space or a comma before a `/` (`/vendor/x,/platform-team`) cannot be told
 * apart from two groups. The token it verified, from the Authorization header (its identity
 * source), holds the array itself: its groups are taken from there. A string the token does not
 * confirm is dropped, so the directory's teams stand rather than the string's.
 */
export function withVerifiedGroups(claims: TokenClaims | undefined, authorization: string | undefined) {
  if (typeof claims?.['groups'] !== 'string') return claims;
  const { groups: _flattened, ...rest } = claims;
  const token = /^Bearer\s+(\S+)$/iu.exec(authorization ?? '')?.[1];
  if (!token) return rest;
  try {
    const payload = decodeJwt(token);
    const groups = payload['groups'];
    if (payload.sub !== claims['sub']) return rest;
    // A token whose claim is that very string says no more than the string does.
    if (groups === claims['groups']) return claims;
    return Array.isArray(groups) && groups.every((group) => typeof group === 'string') ? { ...rest, groups } : rest;
  } catch {
    return rest;
  }
}

/**
 * The caller a verified token describes, from claims as API Gateway's JWT authorizer passes them
 * (array claims as one string "[a b]", numbers and booleans as strings) or as a verified token
 * holds them locally. The person is the `sub`, whatever `preferred_username` says.
 */
export function callerFromClaims(claims: TokenClaims | undefined, teamGroupParent = '/'): Caller {
  const id = claims?.['sub'];
  if (typeof id !== 'string' || id === '') throw new UnauthorizedError('A bearer token with a subject is required');
  const username =
    typeof claims?.['preferred_username'] === 'string' && claims['preferred_username'] !== ''
      ? claims['preferred_username']
      : undefined;
  const email =
    typeof claims?.['email'] === 'string' && claims['email'] !== '' && String(claims['email_verified']) === 'true'
      ? claims['email']
      : undefined;
  const login = claims?.[GITHUB_LOGIN_CLAIM];
  const githubId = Number(claims?.[GITHUB_ID_CLAIM]);
  const github = githubIdentitySchema.safeParse({
    login,
    ...(Number.isInteger(githubId) && githubId > 0 ? { id: githubId } : {}),
  });
  return {
    id,
    name: username ?? id,
    ...(email ? { email } : {}),
    ...(claims && 'groups' in claims ? { groups: teamsFromGroupsClaim(claims['groups'], teamGroupParent) ?? [] } : {}),
    ...(typeof login === 'string' && github.success ? { github: github.data } : {}),
  };
}

/**
 * Records the caller in the directory on first use, and again when their token says something
 * new (a team joined, a GitHub account linked). An identity somebody else already holds is left
 * out rather than taken over. Returns the person as the directory now knows them.
 */
export async function recordSignIn(
  deps: { catalog: CatalogStore; clock: { now(): string } },
  caller: Caller,
): Promise<Person> {
  // An identity somebody else holds stays theirs; this person is recorded without it.
  const owned = async (person: Person): Promise<Person> => {
    const { email, github, ...kept } = person;
    const heldByOther = async (identity: PersonIdentity) => {
      const owner = await deps.catalog.findPerson(identity);
      return owner !== undefined && owner.id !== person.id;
    };
    const emailFree = email !== undefined && !(await heldByOther({ kind: 'email', value: email }));
    const githubFree =
      github !== undefined &&
      !(await heldByOther({ kind: 'github-login', value: github.login })) &&
      !(github.id !== undefined && (await heldByOther({ kind: 'github-id', value: String(github.id) })));
    return { ...kept, ...(emailFree ? { email } : {}), ...(githubFree ? { github } : {}) };
  };
  const token = {
    id: caller.id,
    username: caller.name === caller.id ? undefined : caller.name,
    email: caller.email,
    github: caller.github,
    teams: caller.groups,
  };
  const now = deps.clock.now();
  const existing = await deps.catalog.getPerson(caller.id);
  const signedIn = personFromSignIn(existing, token, now);
  if (!signedIn) return existing ?? { id: caller.id, teams: [] };
  const next = await owned(signedIn);
  // The token's facts, less what somebody else holds, applied to the record as it is when
  // written: a Slack link or a platform-team change made since the read above stays.
  const accepted = { ...token, email: next.email && token.email, github: next.github && token.github };
  return (await deps.catalog.updatePerson(caller.id, (current) => personFromSignIn(current, accepted, now))) ?? next;
}

/** A caller's teams: the token's groups and the directory's teams for that person id. */
export async function teamsOf(deps: { catalog: CatalogStore }, caller: Caller): Promise<string[]> {
  return teamsOfSignedIn(caller, await deps.catalog.getPerson(caller.id));
}

/** The same, for the person `recordSignIn` just returned: no second read. */
export const teamsOfSignedIn = (caller: Caller, person: Pick<Person, 'teams'> | undefined): string[] => [
  ...new Set([...(caller.groups ?? []), ...(person?.teams ?? [])]),
];

/** Admin routes are platform-team's. */
export async function assertPlatformTeam(deps: { catalog: CatalogStore }, caller: Caller): Promise<void> {
  if (!(await teamsOf(deps, caller)).includes(PLATFORM_TEAM))
    throw new ForbiddenError(`Only ${PLATFORM_TEAM} may do this; ${caller.name} is not in it`);
}
