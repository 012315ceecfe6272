import * as z from '../zod.js';
import { githubIdentitySchema, type GithubIdentity, type Person } from '../domain/identity.js';
import { isReservedActor, loginSchema } from '../domain/catalog.js';
import { NotFoundError, ValidationError } from '../errors.js';
import type { CatalogStore, Chat } from '../ports/index.js';

export type SlackResolution = { kind: 'found'; person: Person; linked: boolean } | { kind: 'unknown'; reason: string };

/**
 * The person behind a Slack user: linked already, or found by the email on their Slack profile
 * (users.info) and linked on the way. A Slack user whose email nobody in the directory has, or a
 * person already linked to another Slack user, is unknown. So is a member of another workspace
 * met in a Slack Connect channel, linked or not: its administrators can give anybody any email, a
 * director's included, and a link made before Flightplan checked the workspace may be theirs.
 */
export async function personForSlackUser(
  deps: { catalog: CatalogStore; chat: Chat },
  slackUserId: string,
): Promise<SlackResolution> {
  const [linked, profile] = await Promise.all([
    deps.catalog.findPerson({ kind: 'slack', value: slackUserId }),
    deps.chat.userProfile(slackUserId),
  ]);
  if (profile?.fromAnotherWorkspace)
    return {
      kind: 'unknown',
      reason: `Slack user ${slackUserId} belongs to another Slack workspace (a Slack Connect channel), whose profiles Flightplan does not take for people in its directory`,
    };
  if (linked) return { kind: 'found', person: linked, linked: false };
  if (!profile || profile.isBot)
    return { kind: 'unknown', reason: `Slack user ${slackUserId} is not in the Flightplan directory` };
  if (!profile.email)
    return {
      kind: 'unknown',
      reason: `Slack user ${slackUserId} has no email on their Slack profile, so Flightplan cannot tell who they are`,
    };
  const person = await deps.catalog.findPerson({ kind: 'email', value: profile.email });
  if (!person)
    return {
      kind: 'unknown',
      reason: `Nobody with ${profile.email} has signed in to the portal yet, so Slack user ${slackUserId} is not in the Flightplan directory`,
    };
  if (person.slackUserId && person.slackUserId !== slackUserId) {
    return {
      kind: 'unknown',
      reason: `${profile.email} is linked to another Slack user; ask platform-team to fix the directory`,
    };
  }
  const updated = await deps.catalog.updatePerson(person.id, (current) =>
    current ? { ...current, slackUserId } : undefined,
  );
  return { kind: 'found', person: updated ?? person, linked: true };
}

/**
 * The person behind a GitHub account (a webhook's sender or a release's author): by user id, then
 * by login in any case. A login found on a person recorded with another user id is not them:
 * GitHub frees a login when its owner renames, and whoever takes it next is somebody else.
 */
export async function personForGithubAccount(
  deps: { catalog: CatalogStore },
  account: GithubIdentity,
): Promise<Person | undefined> {
  const byId = account.id ? await deps.catalog.findPerson({ kind: 'github-id', value: String(account.id) }) : undefined;
  if (byId) return byId;
  const byLogin = await deps.catalog.findPerson({ kind: 'github-login', value: account.login });
  const recordedId = byLogin?.github?.id;
  return account.id && recordedId && recordedId !== account.id ? undefined : byLogin;
}

/** What platform-team may set on a person by hand: the GitHub link, the Slack user, teams. */
export const personUpdateSchema = z.strictObject({
  username: z.optional(z.string().check(z.minLength(1), z.maxLength(100))),
  email: z.optional(z.email()),
  github: z.optional(z.nullable(githubIdentitySchema)),
  slackUserId: z.optional(
    z.nullable(z.string().check(z.regex(/^[UW][A-Z0-9]{2,20}$/u, 'a Slack user id such as U0123ABCD'))),
  ),
  teams: z.optional(z.array(z.string().check(z.minLength(1), z.maxLength(100))).check(z.maxLength(50))),
});
export type PersonUpdate = z.infer<typeof personUpdateSchema>;

/** PUT /v1/people/{id}: creates or changes a person; null unlinks. An identity somebody else holds is a 409. */
export async function setPerson(
  deps: { catalog: CatalogStore; clock: { now(): string } },
  id: string,
  update: PersonUpdate,
): Promise<Person> {
  // A person's id is written where a token's subject is (pull requests, audit entries, @mentions),
  // so it is held to what a signed-in caller's is.
  const valid = loginSchema.safeParse(id);
  if (!valid.success || isReservedActor(id))
    throw new ValidationError(`${JSON.stringify(id)} is not a person id`, [
      {
        path: 'id',
        message: valid.success
          ? 'a name Flightplan acts under'
          : valid.error.issues.map((issue) => issue.message).join('; '),
      },
    ]);
  const person = await deps.catalog.updatePerson(id, (current) => {
    const base: Person = current ?? { id, teams: [] };
    const { github, slackUserId, ...plain } = update;
    const next: Person = { ...base, ...plain, updatedAt: deps.clock.now() };
    if (github === null) delete next.github;
    else if (github) next.github = github;
    if (slackUserId === null) delete next.slackUserId;
    else if (slackUserId) next.slackUserId = slackUserId;
    return next;
  });
  if (!person) throw new NotFoundError(`Person ${id} does not exist`);
  return person;
}
