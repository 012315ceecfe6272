import { readFileSync } from 'node:fs';
import {
  apiEntityV1alpha1Validator,
  componentEntityV1alpha1Validator,
  systemEntityV1alpha1Validator,
  type Entity,
} from '@backstage/catalog-model';
import { templateEntityV1beta3Validator } from '@backstage/plugin-scaffolder-common';
import { validate } from '@readme/openapi-parser';
import { describe, expect, it } from 'vitest';
import { parse, parseAllDocuments } from 'yaml';
import type { z } from '../../functions/zod.js';
import { RESOURCE_SPEC_SCHEMAS, provisioningRequestBodySchema } from '../../functions/domain/provisioning.js';
import { serviceCreationBodySchema } from '../../functions/domain/service-creation.js';
import { openApiDocument } from '../../functions/http/openapi.js';
import { OPENAPI_FILE, renderOpenApiFile } from '../../infra/write-openapi.js';

const BACKSTAGE = 'integrations/backstage';

interface TemplateEntity {
  kind: string;
  spec: {
    parameters: {
      properties: Record<string, { enum?: string[] }>;
      dependencies?: {
        type: {
          oneOf: {
            properties: { type: { const: string }; spec: { properties: Record<string, { enum?: string[] }> } };
          }[];
        };
      };
    }[];
    steps: { action: string; input: { path: string; body: Record<string, unknown> } }[];
  };
}

const template = (file: string) => parse(readFileSync(`${BACKSTAGE}/templates/${file}`, 'utf8')) as TemplateEntity;

/** Renders `${{ parameters.x | filters }}` the way the scaffolder would for these sample answers. */
function renderBody(body: Record<string, unknown>, answers: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(
    Object.entries(body).map(([key, value]) => {
      const match =
        typeof value === 'string'
          ? /^\$\{\{ parameters\.(\w+)( \| parseEntityRef \| pick\('name'\))? \}\}$/u.exec(value)
          : null;
      if (!match?.[1]) return [key, value];
      const answer = answers[match[1]];
      return [key, match[2] && typeof answer === 'string' ? answer.split('/').at(-1) : answer];
    }),
  );
}

describe('OpenAPI document', () => {
  it('is valid OpenAPI 3.1', async () => {
    const result = await validate(structuredClone(openApiDocument()) as unknown as Parameters<typeof validate>[0]);
    expect(result).toMatchObject({ valid: true });
  });

  it('is committed as generated (npm run openapi)', () => {
    expect(readFileSync(OPENAPI_FILE, 'utf8')).toBe(renderOpenApiFile());
  });

  it('describes every portal route', () => {
    const paths = openApiDocument()['paths'] as Record<string, Record<string, unknown>>;
    expect(Object.keys(paths)).toEqual(
      expect.arrayContaining([
        '/v1/provisioning-requests',
        '/v1/provisioning-requests/{id}',
        '/v1/services',
        '/v1/services/{name}',
        '/v1/deployments',
        '/v1/approvals/{id}/votes',
      ]),
    );
  });
});

describe('Backstage entities', () => {
  it('validates the API, component and system entities with the catalog model', async () => {
    const entities = parseAllDocuments(readFileSync(`${BACKSTAGE}/catalog-info.yaml`, 'utf8')).map(
      (document) => document.toJS() as Entity,
    );
    const api = entities.find((entity) => entity.kind === 'API');
    // Backstage's placeholder processor replaces $text with the file before validation.
    const resolved = {
      ...api,
      spec: { ...api?.spec, definition: readFileSync(`${BACKSTAGE}/openapi.json`, 'utf8') },
    } as Entity;
    expect(await apiEntityV1alpha1Validator.check(resolved)).toBe(true);
    expect(
      await componentEntityV1alpha1Validator.check(entities.find((entity) => entity.kind === 'Component') as Entity),
    ).toBe(true);
    expect(
      await systemEntityV1alpha1Validator.check(entities.find((entity) => entity.kind === 'System') as Entity),
    ).toBe(true);
  });

  it.each(['provision-resource.yaml', 'create-service.yaml'])('validates the %s scaffolder template', async (file) => {
    expect(await templateEntityV1beta3Validator.check(template(file) as unknown as Entity)).toBe(true);
  });

  it('rejects a template that breaks the schema, so the check above can fail', async () => {
    const broken = { ...template('create-service.yaml'), spec: { steps: 'not a list' } } as unknown as Entity;
    await expect(templateEntityV1beta3Validator.check(broken)).rejects.toThrow();
  });
});

describe('scaffolder templates against the API', () => {
  it.each([
    ['sqs', { retentionDays: 7 }],
    ['dynamodb', { partitionKey: { name: 'pk', type: 'S' } }],
    ['rds', { engine: 'postgres', instanceClass: 'db.t4g.medium', storageGb: 50, multiAz: true }],
  ])('sends a %s request body the API accepts', (type, spec) => {
    const step = template('provision-resource.yaml').spec.steps[0];
    expect(step?.input.path).toBe('/proxy/flightplan/v1/provisioning-requests');
    const body = renderBody(step?.input.body ?? {}, {
      service: 'component:default/orders-api',
      environment: 'prod',
      region: 'us-east-1',
      type,
      name: 'orders-events',
      reason: 'why',
      spec,
    });
    expect(provisioningRequestBodySchema.safeParse(body).success).toBe(true);
  });

  it('offers exactly the options and choices each resource type allows', () => {
    const first = template('provision-resource.yaml').spec.parameters[0];
    const branches = first?.dependencies?.type.oneOf ?? [];
    expect(branches.map((branch) => branch.properties.type.const)).toEqual(Object.keys(RESOURCE_SPEC_SCHEMAS));
    for (const branch of branches) {
      const shape: Record<string, z.ZodMiniType> =
        RESOURCE_SPEC_SCHEMAS[branch.properties.type.const as keyof typeof RESOURCE_SPEC_SCHEMAS].shape;
      for (const [option, field] of Object.entries(branch.properties.spec.properties)) {
        const optionSchema = shape[option];
        expect(optionSchema, `${branch.properties.type.const}.${option}`).toBeDefined();
        for (const choice of field.enum ?? [])
          expect(optionSchema?.safeParse(choice).success, `${option}=${choice}`).toBe(true);
      }
    }
  });

  it('sends a service creation body the API accepts', () => {
    const step = template('create-service.yaml').spec.steps[0];
    const body = renderBody(step?.input.body ?? {}, {
      name: 'payments-ledger',
      team: 'group:default/payments',
      tier: 'T2',
      template: 'node-api',
      description: 'Ledger',
    });
    expect(serviceCreationBodySchema.parse(body)).toMatchObject({ name: 'payments-ledger', team: 'payments' });
    const choices = template('create-service.yaml').spec.parameters[0]?.properties['template']?.enum;
    expect(choices).toEqual(serviceCreationBodySchema.shape.template.options);
  });
});
