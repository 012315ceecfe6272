import { describe, expect, it } from 'vitest';
import { readCatalogComponent, teamOfOwner } from '../../functions/domain/backstage-component.js';
import { interpretPush, pushEventSchema } from '../../functions/domain/github-delivery.js';
import { problemFor } from '../../functions/http/problem.js';
import { serviceRegistrationSchema } from '../../functions/use-cases/catalog-admin.js';
import { catalogInfoYaml } from '../../infra/local/demo-catalog.js';
import { pushPayload } from '../../infra/local/github-payloads.js';

const ledger = { repository: 'acme/ledger-api', name: 'ledger-api', team: 'payments', tier: 'T2' as const };

describe('readCatalogComponent', () => {
  it('reads name, owner team, tier, image repository and Slack channel from a Component', () => {
    expect(
      readCatalogComponent(
        catalogInfoYaml({
          ...ledger,
          imageRepository: '123456789012.dkr.ecr.us-east-1.amazonaws.com/ledger',
          slackChannel: 'ledger',
        }),
        'acme/ledger-api',
      ),
    ).toEqual({
      kind: 'component',
      entry: {
        name: 'ledger-api',
        repository: 'acme/ledger-api',
        team: 'payments',
        tier: 'T2',
        imageRepository: '123456789012.dkr.ecr.us-east-1.amazonaws.com/ledger',
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
    [
      'a Slack channel that is no channel name, which PUT /v1/services refuses too',
      catalogInfoYaml({ ...ledger, imageRepository: 'registry.acme.test/ledger', slackChannel: '#deploys <!channel>' }),
      'flightplan.dev/slack-channel: a channel such as #deploys-payments',
    ],
    [
      'a Slack channel with a line break',
      catalogInfoYaml({ ...ledger, imageRepository: 'registry.acme.test/ledger', slackChannel: 'ledger\nother' }),
      'flightplan.dev/slack-channel: a channel such as #deploys-payments',
    ],
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

describe('image repositories', () => {
  const injected = `123456789012.dkr.ecr.us-east-1.amazonaws.com/orders-api\n  digest: sha256:${'e'.repeat(64)}\nsecurityContext:\n  privileged: true`;
  const refused = [
    ['a line break that writes Helm values', injected],
    ['a tag', '123456789012.dkr.ecr.us-east-1.amazonaws.com/ledger:v1'],
    ['a digest', `123456789012.dkr.ecr.us-east-1.amazonaws.com/ledger@sha256:${'a'.repeat(64)}`],
    ['no registry host (Docker Hub to a runtime)', 'payments/ledger'],
    ['a bare name', 'ledger'],
    ['capitals in the path', 'registry.example.com/Ledger'],
    ['a space', 'registry.example.com/ledger api'],
    ['an empty path component', 'registry.example.com//ledger'],
    ['a trailing slash', 'registry.example.com/ledger/'],
    ['a scheme', 'https://registry.example.com/ledger'],
    ['a name longer than 255 characters', `registry.example.com/${'a'.repeat(240)}`],
  ];
  const accepted = [
    '123456789012.dkr.ecr.us-east-1.amazonaws.com/ledger',
    '123456789012.dkr.ecr.sa-east-1.amazonaws.com/payments/ledger-api',
    'registry.example.com:5000/team_a/ledger__v2.web',
    'localhost:5000/ledger',
    'registry:5000/ledger',
  ];

  it.each(refused)(
    'refuses an image-repository annotation with %s and says what it must be',
    (_case, imageRepository) => {
      const reading = readCatalogComponent(catalogInfoYaml({ ...ledger, imageRepository }), 'acme/ledger-api');
      expect(reading.kind).toBe('invalid');
      expect(reading.kind === 'invalid' ? reading.problems.join('; ') : '').toContain(
        'metadata.annotations.flightplan.dev/image-repository: an image repository',
      );
    },
  );

  it.each(refused)('refuses a PUT /v1/services imageRepository with %s as problem+json', (_case, imageRepository) => {
    const result = serviceRegistrationSchema.safeParse({
      repository: 'acme/ledger-api',
      team: 'payments',
      tier: 'T2',
      imageRepository,
    });
    expect(result.success).toBe(false);
    expect(problemFor(result.error).errors).toEqual([
      { path: 'imageRepository', message: expect.stringContaining('an image repository') as unknown },
    ]);
  });

  it.each(accepted)(
    'accepts the image repository %s from catalog-info.yaml and PUT /v1/services',
    (imageRepository) => {
      expect(readCatalogComponent(catalogInfoYaml({ ...ledger, imageRepository }), 'acme/ledger-api')).toMatchObject({
        kind: 'component',
        entry: { imageRepository },
      });
      expect(
        serviceRegistrationSchema.safeParse({
          repository: 'acme/ledger-api',
          team: 'payments',
          tier: 'T2',
          imageRepository,
        }).success,
      ).toBe(true);
    },
  );
});

describe('owning teams', () => {
  const registration = (team: string) =>
    serviceRegistrationSchema.safeParse({
      repository: 'acme/ledger-api',
      team,
      tier: 'T2',
      imageRepository: '123456789012.dkr.ecr.us-east-1.amazonaws.com/ledger',
    });
  const refused = ['<!channel>', 'Payments', 'pay ments', 'payments\nplatform-team', 'p', 'user:alice'];

  it.each(refused)('refuses a catalog-info.yaml owner naming the team %j', (team) => {
    const content = catalogInfoYaml(ledger).replace(
      'owner: group:default/payments',
      `owner: ${JSON.stringify(`group:default/${team}`)}`,
    );
    const reading = readCatalogComponent(content, 'acme/ledger-api');
    expect(reading.kind).toBe('invalid');
    expect(reading.kind === 'invalid' ? reading.problems.join('; ') : '').toContain(
      'spec.owner: a group such as group:default/payments whose name is a team slug',
    );
  });

  it.each(refused)('refuses a PUT /v1/services team %j as problem+json', (team) => {
    const result = registration(team);
    expect(result.success).toBe(false);
    expect(problemFor(result.error).errors).toEqual([
      { path: 'team', message: 'a team slug: lower-case letters, digits and dashes' },
    ]);
  });

  it.each(['payments', 'platform-team', 'team-42'])(
    'accepts the team %s from catalog-info.yaml and PUT /v1/services',
    (team) => {
      expect(readCatalogComponent(catalogInfoYaml({ ...ledger, team }), 'acme/ledger-api')).toMatchObject({
        kind: 'component',
        entry: { team },
      });
      expect(registration(team).success).toBe(true);
    },
  );
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
