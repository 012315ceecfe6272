import { mayOperate } from '../domain/authorization.js';
import { readCatalogComponent, sameEntry, type CatalogEntry } from '../domain/backstage-component.js';
import { CATALOG_FILE } from '../domain/catalog.js';
import type { Service } from '../domain/catalog.js';
import type { GithubAccount } from '../domain/github-delivery.js';
import { displayNameOf } from '../domain/identity.js';
import { logger } from '../http/http-handler.js';
import type { CatalogStore, Clock, CodeHost } from '../ports/index.js';
import { deactivate } from './deactivate-service.js';
import { personForGithubAccount } from './directory.js';

export type CatalogSyncOutcome =
  | { kind: 'registered' | 'updated' | 'unchanged'; service: string }
  | { kind: 'deactivated'; service: string }
  | { kind: 'refused'; reason: string }
  | { kind: 'nothing'; reason: string };

/**
 * Brings the catalog in line with a repository's catalog-info.yaml at a pushed revision:
 * - a new Component registers its service ACTIVE, so the repository's labels and releases deploy;
 * - a changed one updates team, tier, image repository and Slack channel;
 * - a removed file, or a Component renamed, deactivates the service it described (history kept).
 * A file that claims another repository's service, or a team its pusher is not in (or, for any
 * change to a service, the team that owns it now), is refused and the refusal recorded on the
 * service.
 */
export async function syncCatalogFile(
  deps: { catalog: CatalogStore; codeHost: Pick<CodeHost, 'readFile' | 'lastChangeOf'>; clock: Clock },
  input: { repository: string; revision: string; pushedBy: GithubAccount },
): Promise<CatalogSyncOutcome> {
  const [current, content, changedAtRevision, changedOnDefaultBranch] = await Promise.all([
    deps.catalog.findServiceByRepository(input.repository),
    deps.codeHost.readFile(input.repository, CATALOG_FILE, input.revision),
    deps.codeHost.lastChangeOf(input.repository, CATALOG_FILE, input.revision),
    deps.codeHost.lastChangeOf(input.repository, CATALOG_FILE),
  ]);
  // A failed delivery redelivered by hand after a later one, or a signed body sent again under a
  // new delivery id, is an older push: it is applied only while the commit that last changed the
  // file is the same at its revision and on the default branch. Comparing commits, not content:
  // a later push that put the same file back is that pusher's to apply, and may have been refused.
  if (changedAtRevision !== changedOnDefaultBranch) {
    const since = changedOnDefaultBranch
      ? `was changed again on ${input.repository}'s default branch by ${changedOnDefaultBranch.slice(0, 7)}`
      : `is not on ${input.repository}'s default branch any more`;
    const reason = `${CATALOG_FILE} at ${input.revision.slice(0, 7)} ${since}, so this older push changed nothing`;
    if (current) await recordOn(deps, current.name, 'service.catalog-stale', reason, input.pushedBy.login);
    return { kind: 'nothing', reason };
  }
  if (content === undefined) {
    if (!current) return { kind: 'nothing', reason: `${input.repository} has no ${CATALOG_FILE} and no service` };
    const refusal = await teamRefusal(deps, input.pushedBy, [
      { team: current.team, cannot: `retire ${current.team}'s service` },
    ]);
    if (refusal) {
      await recordOn(deps, current.name, 'service.catalog-refused', refusal, input.pushedBy.login);
      return { kind: 'refused', reason: refusal };
    }
    const retired = await deactivate(
      deps,
      current,
      `${CATALOG_FILE} was removed from ${input.repository} at ${input.revision.slice(0, 7)}`,
      input.pushedBy.login,
      true,
    );
    if (retired.status !== 'INACTIVE') return lostRace(deps, retired, input);
    return { kind: 'deactivated', service: current.name };
  }
  const reading = readCatalogComponent(content, input.repository);
  if (reading.kind === 'invalid') {
    const reason = `${CATALOG_FILE} at ${input.revision.slice(0, 7)} was not applied: ${reading.problems.join('; ')}`;
    if (current) await recordOn(deps, current.name, 'service.catalog-refused', reason, input.pushedBy.login);
    else logger.warn('catalog-info.yaml refused', { repository: input.repository, reason });
    return { kind: 'refused', reason };
  }
  const entry = reading.entry;
  const existing = await deps.catalog.getService(entry.name);
  if (existing && existing.repository.toLowerCase() !== input.repository.toLowerCase()) {
    const reason = `${input.repository} names its Component ${entry.name}, which is ${existing.repository}'s service; platform-team can move it with PUT /v1/services/${entry.name}`;
    await recordOn(deps, existing.name, 'service.catalog-refused', reason, input.pushedBy.login);
    return { kind: 'refused', reason };
  }
  if (existing?.status === 'CREATING')
    return { kind: 'nothing', reason: `${entry.name} is being created; its workflow registers it` };
  // A rename retires the repository's current service and gives its deployments to the new name,
  // so it is a move away from the current service's team too. Any other change is the owning
  // team's to make: the image repository decides what PROD runs.
  const renamed = current && current.name !== entry.name ? current : undefined;
  const unchanged = existing?.status === 'ACTIVE' && !renamed && sameEntry(existing, entry);
  const fromTeams = [existing?.team, renamed?.team].filter((team) => team !== undefined);
  if (!unchanged) {
    const refusal = await teamRefusal(deps, input.pushedBy, [
      {
        team: entry.team,
        cannot: fromTeams.includes(entry.team) ? `change ${entry.team}'s service` : `give a service to ${entry.team}`,
      },
      ...fromTeams.map((team) => ({ team, cannot: `take a service from ${team}` })),
    ]);
    if (refusal) {
      if (existing ?? current)
        await recordOn(
          deps,
          (existing ?? current)?.name ?? entry.name,
          'service.catalog-refused',
          refusal,
          input.pushedBy.login,
        );
      else logger.warn('catalog-info.yaml refused', { repository: input.repository, reason: refusal });
      return { kind: 'refused', reason: refusal };
    }
  }
  if (renamed) {
    const retired = await deactivate(
      deps,
      renamed,
      `${input.repository}'s Component is now named ${entry.name}`,
      input.pushedBy.login,
      true,
    );
    if (retired.status !== 'INACTIVE') return lostRace(deps, retired, input);
  }
  // The team check above read the service once; whoever owns it when the write lands must be a
  // team that check covered, or nobody's if the push changed nothing and so was not checked.
  return register(deps, existing, entry, input, unchanged ? [] : [entry.team, ...fromTeams]);
}

async function register(
  deps: { catalog: CatalogStore; clock: Clock },
  existing: Service | undefined,
  entry: CatalogEntry,
  input: { repository: string; revision: string; pushedBy: GithubAccount },
  checkedTeams: readonly string[],
): Promise<CatalogSyncOutcome> {
  const now = deps.clock.now();
  const from = `${CATALOG_FILE} at ${input.revision.slice(0, 7)}, pushed by ${input.pushedBy.login}`;
  if (!existing) {
    const service: Service = {
      ...entry,
      status: 'ACTIVE',
      createdBy: input.pushedBy.login,
      createdAt: now,
      revision: 0,
    };
    const created = await deps.catalog.createService({
      service,
      event: {
        at: now,
        actor: input.pushedBy.login,
        action: 'service.onboarded',
        message: `${entry.name} (${entry.tier}, ${entry.team}) registered from ${from}`,
        toStatus: 'ACTIVE',
      },
    });
    if (created === 'created') return { kind: 'registered', service: entry.name };
  }
  // Set on every run of the decision: the store runs it again after a conflicting write.
  let outcome = 'unchanged' as 'unchanged' | 'updated' | 'raced';
  const written = await deps.catalog.updateService(entry.name, (service) => {
    outcome = 'unchanged';
    if (service.status === 'ACTIVE' && sameEntry(service, entry)) return undefined;
    if (
      service.repository.toLowerCase() !== entry.repository.toLowerCase() ||
      service.status === 'CREATING' ||
      !checkedTeams.includes(service.team)
    ) {
      outcome = 'raced';
      return undefined;
    }
    outcome = 'updated';
    const { slackChannel: _slackChannel, ...kept } = service;
    return {
      service: { ...kept, ...entry, status: 'ACTIVE' },
      event: {
        at: deps.clock.now(),
        actor: input.pushedBy.login,
        action: service.status === 'ACTIVE' ? 'service.catalog-updated' : 'service.reactivated',
        message: `${entry.name} updated from ${from}: ${entry.tier}, team ${entry.team}, images ${entry.imageRepository}${entry.slackChannel ? `, ${entry.slackChannel}` : ''}`,
        ...(service.status === 'ACTIVE' ? {} : { fromStatus: service.status, toStatus: 'ACTIVE' }),
      },
    };
  });
  return outcome === 'raced' ? lostRace(deps, written, input) : { kind: outcome, service: entry.name };
}

/** Somebody else changed the service between the push's check and its write: theirs stands. */
async function lostRace(
  deps: { catalog: CatalogStore; clock: Clock },
  service: Service,
  input: { revision: string; pushedBy: GithubAccount },
): Promise<CatalogSyncOutcome> {
  const reason = `${service.name} changed while ${CATALOG_FILE} at ${input.revision.slice(0, 7)} was applied (it is now ${service.team}'s, from ${service.repository}, ${service.status}), so the push changed nothing; push again to apply the file`;
  await recordOn(deps, service.name, 'service.catalog-refused', reason, input.pushedBy.login);
  return { kind: 'refused', reason };
}

/**
 * Registering a service for a team takes a member of that team or platform-team. Changing one takes
 * a member of its team too (moving it, by a new owner or a new name, a member of both teams), and
 * retiring one a member of its team, or platform-team: the owning team decides its PROD approvals
 * and what PROD runs, so a push by someone outside it (write access to a repository is often wide)
 * must neither hand them over, repoint them nor switch them off. The refusal names the first team
 * in `needs` the pusher cannot operate for, and what that keeps their push from doing.
 */
async function teamRefusal(
  deps: { catalog: CatalogStore },
  pushedBy: GithubAccount,
  needs: [{ team: string; cannot: string }, ...{ team: string; cannot: string }[]],
): Promise<string | undefined> {
  const person = await personForGithubAccount(deps, pushedBy);
  if (!person) return `${pushedBy.login} is not in the Flightplan directory, so their push cannot ${needs[0].cannot}`;
  const unmet = needs.find(({ team }) => !mayOperate(person.teams, team));
  return unmet
    ? `${displayNameOf(person)} is neither in ${unmet.team} nor in platform-team, so their push cannot ${unmet.cannot}`
    : undefined;
}

async function recordOn(
  deps: { catalog: CatalogStore; clock: Clock },
  name: string,
  action: string,
  message: string,
  actor: string,
): Promise<void> {
  await deps.catalog.updateService(name, (current) => ({
    service: current,
    event: { at: deps.clock.now(), actor, action, message },
  }));
}
