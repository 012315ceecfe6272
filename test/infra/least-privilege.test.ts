import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../infra/aws/app.js';
import { FUNCTIONS } from '../../infra/system.js';
import { StackResolver, type TemplateResource } from '../../infra/twin/assembly.js';
import { IamPolicies } from '../../infra/twin/iam.js';
import cdkJson from '../../cdk.json' with { type: 'json' };

interface Statement {
  Effect: string;
  Action: string | string[];
  Resource?: unknown;
  Condition?: Record<string, Record<string, string | string[]>>;
}

let template: Template;

beforeAll(() => {
  const app = new App({ context: { ...cdkJson.context, 'aws:cdk:bundling-stacks': [] } });
  template = Template.fromStack(buildApp(app).controlPlane);
});

type FunctionId = keyof typeof FUNCTIONS;

/** The statements of every identity policy attached to a function's execution role. */
function statementsOf(id: FunctionId): Statement[] {
  const description = FUNCTIONS[id].module.declaration.description;
  const fn = Object.values(template.findResources('AWS::Lambda::Function')).find(
    (resource) => (resource as { Properties: Record<string, unknown> }).Properties['Description'] === description,
  ) as { Properties: { Role: { 'Fn::GetAtt': [string, string] } } } | undefined;
  if (!fn) throw new Error(`No function is described as ${description}`);
  const roleId = fn.Properties.Role['Fn::GetAtt'][0];
  return Object.values(template.findResources('AWS::IAM::Policy')).flatMap((resource) => {
    const { Roles, PolicyDocument } = (resource as { Properties: Record<string, unknown> }).Properties as {
      Roles: { Ref: string }[];
      PolicyDocument: { Statement: Statement[] };
    };
    return Roles.some((role) => role.Ref === roleId) ? PolicyDocument.Statement : [];
  });
}

const actionsOf = (statement: Statement) => [statement.Action].flat();

/** What a function may publish: [source, detail-type] pairs, one per allowed combination. */
function publishableBy(id: FunctionId): [string, string][] {
  return statementsOf(id)
    .filter((statement) => actionsOf(statement).includes('events:PutEvents'))
    .flatMap((statement) => {
      const equals = statement.Condition?.['ForAllValues:StringEquals'] ?? {};
      const sources = [equals['events:source'] ?? []].flat();
      const detailTypes = [equals['events:detail-type'] ?? []].flat();
      return sources.flatMap((source) => detailTypes.map((detailType): [string, string] => [source, detailType]));
    })
    .sort();
}

describe('least privilege: PutEvents', () => {
  it('conditions every function role PutEvents on events:source and events:detail-type', () => {
    const unconditioned = (Object.keys(FUNCTIONS) as FunctionId[]).flatMap((id) =>
      statementsOf(id)
        .filter((statement) => actionsOf(statement).some((action) => /^events:(PutEvents|\*)$|^\*$/u.test(action)))
        .filter((statement) => {
          const equals = statement.Condition?.['ForAllValues:StringEquals'] ?? {};
          const present = statement.Condition?.['Null'] ?? {};
          return (
            !equals['events:source'] ||
            !equals['events:detail-type'] ||
            present['events:source'] !== 'false' ||
            present['events:detail-type'] !== 'false'
          );
        })
        .map(() => id),
    );
    expect(unconditioned).toEqual([]);
  });

  it('lets the portal API publish only its own requests as flightplan.portal, and its deployment changes', () => {
    expect(publishableBy('portalApi')).toEqual([
      ['flightplan.deployments', 'Deployment Changed'],
      ['flightplan.portal', 'Deployment Requested'],
      ['flightplan.portal', 'Provisioning Requested'],
      ['flightplan.portal', 'Service Creation Requested'],
    ]);
  });

  it('lets each webhook publish only its own source, and a deployment step only Deployment Changed', () => {
    expect(publishableBy('githubWebhook')).toEqual([
      ['flightplan.github', 'Catalog File Changed'],
      ['flightplan.github', 'Deployment Requested'],
      ['flightplan.github', 'Terraform Apply Completed'],
      ['flightplan.github', 'Terraform Pull Request Closed'],
    ]);
    expect(publishableBy('argocdWebhook')).toEqual([['flightplan.argocd', 'Argo CD Application Status Changed']]);
    expect(publishableBy('deployWave')).toEqual([['flightplan.deployments', 'Deployment Changed']]);
    expect(publishableBy('notifyDeploymentChange')).toEqual([]);
  });
});

describe("least privilege: PutEvents on the twin's IAM", () => {
  it('lets the GitHub webhook publish Deployment Requested as flightplan.github, never as flightplan.portal', async () => {
    const resolver = new StackResolver(
      {
        name: 'Flightplan',
        account: '123456789012',
        region: 'us-east-1',
        resources: (template.toJSON() as { Resources: Record<string, TemplateResource> }).Resources,
      },
      { apiEndpoint: 'http://127.0.0.1:1', queueEndpoint: 'https://sqs.us-east-1.amazonaws.com' },
    );
    const iam = new IamPolicies([resolver]);
    const roleId = Object.keys(template.findResources('AWS::IAM::Role')).find((id) =>
      id.startsWith('githubWebhookRole'),
    );
    const busId = Object.keys(template.findResources('AWS::Events::EventBus'))[0];
    if (!roleId || !busId) throw new Error('No githubWebhook role or bus');
    const publish = (source: string, detailType: string) =>
      iam.authorize({
        roleArn: resolver.arn(roleId),
        action: 'events:PutEvents',
        resource: resolver.arn(busId),
        context: { 'events:source': source, 'events:detail-type': detailType },
      });
    expect((await publish('flightplan.github', 'Deployment Requested')).allowed).toBe(true);
    expect((await publish('flightplan.portal', 'Deployment Requested')).allowed).toBe(false);
    expect((await publish('flightplan.github', 'Deployment Changed')).allowed).toBe(false);
  });
});

/** The functions whose role may read the secret whose construct id is `construct`. */
function readersOfSecret(construct: string): FunctionId[] {
  const secretId = Object.keys(template.findResources('AWS::SecretsManager::Secret')).find((id) =>
    id.startsWith(construct),
  );
  expect(secretId).toBeDefined();
  return (Object.keys(FUNCTIONS) as FunctionId[])
    .filter((id) =>
      statementsOf(id).some(
        (statement) =>
          actionsOf(statement).includes('secretsmanager:GetSecretValue') &&
          JSON.stringify(statement.Resource).includes(`"${secretId}"`),
      ),
    )
    .sort();
}

describe('least privilege: the GitHub App key', () => {
  it('lets only the functions with a GitHub port read the App private key, each minting its own scoped token', () => {
    expect(readersOfSecret('GithubAppPrivateKey')).toEqual([
      'commitServiceGitOps',
      'createServiceRepositories',
      'deployWave',
      'notifyDeploymentChange',
      'openProvisioningPullRequest',
      'restoreWave',
      'syncCatalogFile',
    ]);
  });
});

describe('least privilege: the cursor key', () => {
  it('generates the key the portal seals its list cursors with, and lets the portal API alone read it', () => {
    const [cursorKey] = Object.values(template.findResources('AWS::SecretsManager::Secret')).filter((resource) =>
      String((resource['Properties'] as { Description?: string }).Description).includes('list cursors'),
    );
    expect(cursorKey?.['Properties']).toMatchObject({
      GenerateSecretString: { PasswordLength: 64, ExcludePunctuation: true },
    });
    expect(readersOfSecret('CursorKey')).toEqual(['portalApi']);
  });
});
