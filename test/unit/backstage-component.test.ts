import { describe, expect, it } from 'vitest';
import { readCatalogComponent, teamOfOwner } from '../../functions/domain/backstage-component.js';
import { interpretPush, pushEventSchema } from '../../functions/domain/github-delivery.js';
import { catalogInfoYaml } from '../../infra/local/demo-catalog.js';
import { pushPayload } from '../../infra/local/github-payloads.js';

const ledger = { repository: 'acme/ledger-api', name: 'ledger-api', team: 'payments', tier: 'T2' as const };

describe('readCatalogComponent', () => {
  it('reads name, owner team, tier, image repository and Slack channel from a Component', () => {
    expect(
      readCatalogComponent(
        catalogInfoYaml({ ...ledger, imageRepository: 'ecr/ledger', slackChannel: 'ledger' }),
        'acme/ledger-api',
      ),
    ).toEqual({
      kind: 'component',
      entry: {
        name: 'ledger-api',
        repository: 'acme/ledger-api',
        team: 'payments',
        tier: 'T2',
        imageRepository: 'ecr/ledger',
        slackChannel: '#ledger',
      },
    });
  });

  it.each([
    [
      'a project slug naming another repository',
      catalogInfoYaml({ ...ledger, repository: 'acme/orders-api' }),
      'says acme/orders-api',
    ],
    ['no Component', 'apiVersion: backstage.io/v1alpha1\nkind: API\nmetadata: {name: x}\n', 'has no Component'],
    ['an unknown tier', catalogInfoYaml(ledger).replace('T2', 'T9'), 'one of T1, T2, T3'],
    ['invalid YAML', 'kind: [Component', 'not valid YAML'],
  ])('refuses %s', (_case, content, problem) => {
    const reading = readCatalogComponent(content, 'acme/ledger-api');
    expect(reading.kind).toBe('invalid');
    expect(reading.kind === 'invalid' ? reading.problems.join('; ') : '').toContain(problem);
  });

  it.each([
    ['group:default/payments', 'payments'],
    ['group:payments', 'payments'],
    ['payments', 'payments'],
  ])('reads owner %s as team %s', (owner, team) => {
    expect(teamOfOwner(owner)).toBe(team);
  });
});

describe('interpretPush', () => {
  const push = (overrides: Partial<Parameters<typeof pushPayload>[0]> = {}) =>
    pushEventSchema.parse(
      pushPayload({
        repository: 'acme/ledger-api',
        before: null,
        after: 'c'.repeat(40),
        message: 'm',
        added: [],
        modified: [],
        removed: [],
        sender: 'alice',
        ...overrides,
      }),
    );

  it.each([
    ['added', { added: ['catalog-info.yaml'] }, 'catalog-file-changed'],
    ['modified', { modified: ['catalog-info.yaml'] }, 'catalog-file-changed'],
    ['removed', { removed: ['catalog-info.yaml'] }, 'catalog-file-changed'],
    ['untouched', { modified: ['README.md'] }, 'ignored'],
    ['a catalog file in a subdirectory', { added: ['docs/catalog-info.yaml'] }, 'ignored'],
  ])('sees catalog-info.yaml %s', (_case, files, kind) => {
    expect(interpretPush(push(files), 'catalog-info.yaml').kind).toBe(kind);
  });

  it('ignores pushes to other branches', () => {
    expect(
      interpretPush({ ...push({ added: ['catalog-info.yaml'] }), ref: 'refs/heads/feature' }, 'catalog-info.yaml'),
    ).toMatchObject({ kind: 'ignored' });
  });
});
