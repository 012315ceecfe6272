import * as z from '../zod.js';

/**
 * One person across Keycloak, GitHub and Slack. The id is the Keycloak `sub`: stable, never
 * reassigned, and the only thing policy decisions compare. Everything else is a way to find the
 * person (a Slack click, a GitHub webhook, a profile email) or a name to show.
 */
export const githubIdentitySchema = z.object({
  /** GitHub logins are case-insensitive; compare them with `sameGithubLogin`. */
  login: z.string().check(z.minLength(1), z.maxLength(39)),
  /** GitHub's numeric user id: survives a rename of the login. */
  id: z.optional(z.number().check(z.int(), z.positive())),
});
export type GithubIdentity = z.infer<typeof githubIdentitySchema>;

export const personRecordSchema = z.object({
  id: z.string().check(z.minLength(1)),
  /** Keycloak `preferred_username`: shown, never compared. */
  username: z.optional(z.string()),
  /** Only a verified email is recorded: it is what links a Slack user to the person. */
  email: z.optional(z.string()),
  github: z.optional(githubIdentitySchema),
  slackUserId: z.optional(z.string()),
  teams: z.array(z.string()),
  updatedAt: z.optional(z.string()),
});

/** Records written before person ids existed were keyed by a login that doubled as the id. */
const fromLegacyRecord = (value: unknown): unknown => {
  if (typeof value !== 'object' || value === null || 'id' in value || !('login' in value)) return value;
  const { login, ...rest } = value as { login: unknown } & Record<string, unknown>;
  return {
    ...rest,
    id: login,
    username: login,
    github: typeof login === 'string' && login !== '' ? { login } : undefined,
  };
};

export const personSchema = z.pipe(z.transform(fromLegacyRecord), personRecordSchema);
export type Person = z.infer<typeof personRecordSchema>;

export const displayNameOf = (person: Pick<Person, 'id' | 'username'>): string => person.username ?? person.id;

export const sameGithubLogin = (a: string | undefined, b: string | undefined): boolean =>
  a !== undefined && b !== undefined && a.toLowerCase() === b.toLowerCase();

/**
 * The same GitHub account: by user id when both carry one (GitHub frees a renamed account's login
 * for anybody to take), otherwise by login in any case.
 */
export const sameGithubAccount = (a: GithubIdentity, b: GithubIdentity): boolean =>
  a.id !== undefined && b.id !== undefined ? a.id === b.id : sameGithubLogin(a.login, b.login);

/** How a person is found from another system: one key per kind, each owned by at most one person. */
export type PersonIdentity =
  | { kind: 'slack'; value: string }
  | { kind: 'github-login'; value: string }
  | { kind: 'github-id'; value: string }
  | { kind: 'email'; value: string };

/** The keys a person can be found by; logins and emails are case-insensitive. */
export function identitiesOf(person: Person): PersonIdentity[] {
  return [
    ...(person.slackUserId ? [{ kind: 'slack' as const, value: person.slackUserId }] : []),
    ...(person.github ? [{ kind: 'github-login' as const, value: person.github.login.toLowerCase() }] : []),
    ...(person.github?.id ? [{ kind: 'github-id' as const, value: String(person.github.id) }] : []),
    ...(person.email ? [{ kind: 'email' as const, value: person.email.toLowerCase() }] : []),
  ];
}

/**
 * Teams from a Keycloak `groups` claim, in every shape it arrives in: a JSON array (a verified
 * token, locally), API Gateway's rendering of an array claim as one string (`"[a b]"`), and a
 * plain space- or comma-separated string. With Keycloak's full group paths, a team is a direct
 * subgroup of `parent` (`/payments` under `/`, `/org/payments` under `/org`) and every other group
 * is no team: Keycloak keeps names unique among siblings only, so `/vendor/platform-team`, which
 * whoever manages `/vendor` can create, is not platform-team. In API Gateway's string, full paths
 * are split only where the next path begins, so a group named `ops platform-team` stays one
 * group. Bare names (full group path off) are taken as they are: they cannot be told apart.
 */
export function teamsFromGroupsClaim(claim: unknown, parent = '/'): string[] | undefined {
  let entries: string[];
  if (Array.isArray(claim)) entries = claim.map(String);
  else if (typeof claim === 'string') {
    const trimmed = claim.trim();
    const inner = (trimmed.startsWith('[') && trimmed.endsWith(']') ? trimmed.slice(1, -1) : trimmed).trim();
    entries = inner.split(inner.startsWith('/') ? /[\s,]+(?=\/)/u : /[\s,]+/u);
  } else return undefined;
  const prefix = parent === '/' ? '/' : `${parent}/`;
  const teamOf = (group: string): string => {
    if (!group.startsWith('/')) return group.includes('/') ? '' : group;
    const name = group.startsWith(prefix) ? group.slice(prefix.length) : '';
    return name.includes('/') ? '' : name;
  };
  const teams = entries.map((entry) => teamOf(entry.trim().replace(/^"|"$/gu, ''))).filter((team) => team !== '');
  return [...new Set(teams)];
}

/** GitHub marks app accounts (release-please, semantic-release, Dependabot) as bots. */
export const isBotAccount = (account: { login: string; type?: string | undefined }): boolean =>
  account.type === 'Bot' || account.login.toLowerCase().endsWith('[bot]');

/**
 * Somebody who asked for a change: resolved to a person when the directory knows them, and
 * always with the GitHub identity they acted as, so a person linked later is still recognized.
 */
export const requesterSchema = z.object({
  personId: z.optional(z.string()),
  github: z.optional(githubIdentitySchema),
  /** What to show: the person's name, or the GitHub login. */
  name: z.string(),
  bot: z._default(z.boolean(), false),
});
export type Requester = z.infer<typeof requesterSchema>;

/** The parts of a person that say who they are, for comparing with requesters. */
export type Identity = Pick<Person, 'id' | 'github'>;

export function requesterFor(
  person: Person | undefined,
  github?: GithubIdentity & { type?: string | undefined },
): Requester {
  const bot = github ? isBotAccount(github) : false;
  const githubIdentity = github ? { login: github.login, ...(github.id ? { id: github.id } : {}) } : person?.github;
  return {
    ...(person ? { personId: person.id } : {}),
    ...(githubIdentity ? { github: githubIdentity } : {}),
    name: person ? displayNameOf(person) : (github?.login ?? 'unknown'),
    bot: bot && !person,
  };
}

/** True when `who` is one of the requesters: by person id, by GitHub user id, or by login in any case. */
export function isRequester(requesters: readonly Requester[], who: Identity): boolean {
  return requesters.some(
    (requester) =>
      requester.personId === who.id ||
      (requester.github !== undefined &&
        who.github !== undefined &&
        (sameGithubLogin(requester.github.login, who.github.login) ||
          (requester.github.id !== undefined && requester.github.id === who.github.id))),
  );
}

/** A change that only bots asked for has nobody to hold to the four-eyes rule. */
export const hasHumanRequester = (requesters: readonly Requester[]): boolean =>
  requesters.some((requester) => !requester.bot);

/**
 * The person a portal sign-in describes, merged into what the directory knows: the token is the
 * authority for username, verified email, GitHub link and teams when it carries them. Undefined
 * when nothing changed, so a sign-in writes only when there is something new.
 */
export function personFromSignIn(
  existing: Person | undefined,
  token: {
    id: string;
    username?: string | undefined;
    email?: string | undefined;
    github?: GithubIdentity | undefined;
    teams?: string[] | undefined;
  },
  now: string,
): Person | undefined {
  const next: Person = {
    id: token.id,
    ...((token.username ?? existing?.username) ? { username: token.username ?? existing?.username } : {}),
    ...((token.email ?? existing?.email) ? { email: token.email ?? existing?.email } : {}),
    ...((token.github ?? existing?.github) ? { github: token.github ?? existing?.github } : {}),
    ...(existing?.slackUserId ? { slackUserId: existing.slackUserId } : {}),
    teams: token.teams ?? existing?.teams ?? [],
  };
  if (existing && samePerson(existing, next)) return undefined;
  return { ...next, updatedAt: now };
}

/** Equal in everything but when it was last written. */
export function samePerson(a: Person, b: Person): boolean {
  const key = (person: Person) =>
    JSON.stringify([
      person.id,
      person.username,
      person.email,
      person.github?.login,
      person.github?.id,
      person.slackUserId,
      [...person.teams].sort(),
    ]);
  return key(a) === key(b);
}
