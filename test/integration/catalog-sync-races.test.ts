import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { DynamoDbCatalogStore } from '../../functions/adapters/aws/dynamodb-catalog-store.js';
import type { Service } from '../../functions/domain/catalog.js';
import type { ServiceChange } from '../../functions/ports/index.js';
import { syncCatalogFile } from '../../functions/use-cases/catalog-sync.js';
import { catalogInfoYaml } from '../../infra/local/demo-catalog.js';
import { ensureTables, startDynamoDb, type RunningDynamoDb } from '../../infra/local/dynamodb-local.js';
import { TABLES } from '../../infra/system.js';

const TABLE = 'flightplan-catalog-sync-races';
const NOW = '2026-12-03T09:00:00.000Z';
const clock = { now: () => NOW };
/** The commit a push brought, and a later one on the default branch. */
const PUSHED = 'abcdef0123456789abcdef0123456789abcdef01';
const LATER = '0123456789abcdef0123456789abcdef01234567';
let dynamoDb: RunningDynamoDb;

/** A catalog in which somebody else's change lands between a push's team check and its write. */
class CatalogChangedMidPush extends DynamoDbCatalogStore {
  meanwhile: ((name: string) => Promise<unknown>) | undefined;

  override async updateService(name: string, decide: (current: Service) => ServiceChange | undefined) {
    const meanwhile = this.meanwhile;
    this.meanwhile = undefined;
    await meanwhile?.(name);
    return super.updateService(name, decide);
  }
}

const ordersApi: Service = {
  name: 'orders-api',
  repository: 'acme/orders-api',
  team: 'payments',
  tier: 'T1',
  imageRepository: 'registry.acme.test/orders-api',
  status: 'ACTIVE',
  revision: 0,
};

let catalog: CatalogChangedMidPush;
let run = 0;

const platformTeamChanges = (change: Partial<Service>) => (name: string) =>
  catalog.updateService(name, (current) => ({
    service: { ...current, ...change },
    event: { at: NOW, actor: 'carol', action: 'service.updated', message: 'changed by platform-team' },
  }));

const push = (file: string | undefined, by: 'pat' | 'erin') =>
  syncCatalogFile(
    {
      catalog,
      clock,
      codeHost: { readFile: () => Promise.resolve(file), lastChangeOf: () => Promise.resolve(PUSHED) },
    },
    { repository: 'acme/orders-api', revision: PUSHED, pushedBy: { login: by } },
  );

beforeAll(async () => {
  dynamoDb = await startDynamoDb({});
});

afterAll(async () => {
  await dynamoDb.stop();
});

beforeEach(async () => {
  // A table per test: each starts from payments' orders-api and two people.
  run += 1;
  await ensureTables(dynamoDb.client, [{ name: `${TABLE}-${run}`, design: TABLES.main }]);
  catalog = new CatalogChangedMidPush(dynamoDb.client, `${TABLE}-${run}`);
  await catalog.putService(ordersApi);
  for (const [id, team] of [
    ['pat', 'payments'],
    ['erin', 'storefront'],
  ] as const)
    await catalog.updatePerson(id, () => ({ id, username: id, github: { login: id }, teams: [team] }));
});

describe('catalog-info.yaml pushes racing another change to the service', () => {
  it("keeps platform-team's move of a service that a push by a member of its old team would change back", async () => {
    catalog.meanwhile = platformTeamChanges({ team: 'storefront' });
    const outcome = await push(catalogInfoYaml({ ...ordersApi, tier: 'T2' }), 'pat');

    expect(outcome.kind).toBe('refused');
    expect(await catalog.getService('orders-api')).toMatchObject({ team: 'storefront', tier: 'T1' });
  });

  it("does not retire a service that moved to another team while a member of its old team's removal was applied", async () => {
    catalog.meanwhile = platformTeamChanges({ team: 'storefront' });
    const outcome = await push(undefined, 'pat');

    expect(outcome.kind).toBe('refused');
    expect(await catalog.getService('orders-api')).toMatchObject({ team: 'storefront', status: 'ACTIVE' });
  });

  it("does not retire a service that platform-team moved to another repository while its old repository's removal was applied", async () => {
    catalog.meanwhile = platformTeamChanges({ repository: 'acme/orders-api-v2' });
    const outcome = await push(undefined, 'pat');

    expect(outcome.kind).toBe('refused');
    expect(await catalog.getService('orders-api')).toMatchObject({
      repository: 'acme/orders-api-v2',
      status: 'ACTIVE',
    });
  });

  it('neither retires nor renames a service that moved to another team while a rename by its old team was applied', async () => {
    catalog.meanwhile = platformTeamChanges({ team: 'storefront' });
    const outcome = await push(catalogInfoYaml({ ...ordersApi, name: 'orders-api-next' }), 'pat');

    expect(outcome.kind).toBe('refused');
    expect(await catalog.getService('orders-api')).toMatchObject({ team: 'storefront', status: 'ACTIVE' });
    expect(await catalog.getService('orders-api-next')).toBeUndefined();
  });

  it('keeps a change made while an unchanged catalog-info.yaml, which nobody checks, was applied', async () => {
    catalog.meanwhile = platformTeamChanges({ imageRepository: 'registry.acme.test/payments/orders-api' });
    const outcome = await push(catalogInfoYaml(ordersApi), 'erin');

    expect(outcome.kind).toBe('refused');
    expect(await catalog.getService('orders-api')).toMatchObject({
      team: 'payments',
      imageRepository: 'registry.acme.test/payments/orders-api',
    });
  });

  it('records why a push that lost the race changed nothing, on the service', async () => {
    catalog.meanwhile = platformTeamChanges({ team: 'storefront' });
    await push(catalogInfoYaml({ ...ordersApi, tier: 'T2' }), 'pat');

    const refusals = (await catalog.serviceEvents('orders-api')).filter(
      (event) => event.action === 'service.catalog-refused',
    );
    expect(refusals.map((event) => event.message)).toEqual([
      "orders-api changed while catalog-info.yaml at abcdef0 was applied (it is now storefront's, from acme/orders-api, ACTIVE), so the push changed nothing; push again to apply the file",
    ]);
  });
});

describe('catalog-info.yaml pushes that a later push replaced', () => {
  /** The file at the pushed revision, last changed by the push itself; on the default branch, a later commit changed it. */
  const stalePush = (atRevision: string | undefined) =>
    syncCatalogFile(
      {
        catalog,
        clock,
        codeHost: {
          readFile: () => Promise.resolve(atRevision),
          lastChangeOf: (_repository, _path, ref) => Promise.resolve(ref ? PUSHED : LATER),
        },
      },
      { repository: 'acme/orders-api', revision: PUSHED, pushedBy: { login: 'pat' } },
    );

  it('does not retire a service for a removal of its catalog-info.yaml that a later push put back', async () => {
    const outcome = await stalePush(undefined);

    expect(outcome).toMatchObject({ kind: 'nothing', reason: expect.stringContaining('changed again') as string });
    expect(await catalog.getService('orders-api')).toMatchObject({ status: 'ACTIVE', tier: 'T1' });
  });

  it('does not change a service back to the file a later push replaced', async () => {
    const outcome = await stalePush(catalogInfoYaml({ ...ordersApi, tier: 'T3' }));

    expect(outcome.kind).toBe('nothing');
    expect(await catalog.getService('orders-api')).toMatchObject({ tier: 'T1' });
  });

  it("does not apply an older push's file that a later push, maybe refused, put back: the later pusher's to apply", async () => {
    // pat (payments) pushed T2; somebody changed it; somebody else put pat's file back, and their
    // push was refused. pat's push, sent again, would apply the same file under pat's name.
    const outcome = await stalePush(catalogInfoYaml({ ...ordersApi, tier: 'T2' }));

    expect(outcome.kind).toBe('nothing');
    expect(await catalog.getService('orders-api')).toMatchObject({ tier: 'T1' });
    expect((await catalog.serviceEvents('orders-api')).at(-1)).toMatchObject({
      action: 'service.catalog-stale',
      actor: 'pat',
    });
  });
});
