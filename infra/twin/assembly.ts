import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/** One CloudFormation resource as CDK writes it into a template. */
export interface TemplateResource {
  Type: string;
  Properties?: Record<string, unknown>;
  Metadata?: Record<string, unknown>;
}

export interface TemplateStack {
  name: string;
  account: string;
  region: string;
  resources: Record<string, TemplateResource>;
}

/** The cloud assembly (`cdk.out`): its stacks, read from `manifest.json` and each `*.template.json`. */
export interface CloudAssembly {
  directory: string;
  stacks: TemplateStack[];
}

interface Manifest {
  artifacts: Record<string, { type: string; environment?: string; properties?: { templateFile?: string } }>;
}

const CONSOLE_STACKS = new Set(['FlightplanConsole']);

export function loadAssembly(directory: string): CloudAssembly {
  const manifest = JSON.parse(readFileSync(join(directory, 'manifest.json'), 'utf8')) as Manifest;
  const stacks = Object.entries(manifest.artifacts)
    // The console's stack is static hosting (S3, CloudFront): nothing of the control plane runs there.
    .filter(([name, artifact]) => artifact.type === 'aws:cloudformation:stack' && !CONSOLE_STACKS.has(name))
    .map(([name, artifact]): TemplateStack => {
      const environment = /^aws:\/\/(\d{12})\/([a-z0-9-]+)$/u.exec(artifact.environment ?? '');
      if (!environment?.[1] || !environment[2])
        throw new Error(
          `Stack ${name} has no concrete environment (${artifact.environment ?? 'none'}); the twin needs an account and a region`,
        );
      const templateFile = artifact.properties?.templateFile ?? `${name}.template.json`;
      const template = JSON.parse(readFileSync(join(directory, templateFile), 'utf8')) as {
        Resources?: Record<string, TemplateResource>;
      };
      return { name, account: environment[1], region: environment[2], resources: template.Resources ?? {} };
    });
  return { directory, stacks };
}

/** The bundled asset directory of a Lambda function (`aws:asset:path` in its metadata). */
export function assetDirectoryOf(assembly: CloudAssembly, resource: TemplateResource): string {
  const assetPath = resource.Metadata?.['aws:asset:path'];
  if (typeof assetPath !== 'string')
    throw new Error('The function has no aws:asset:path metadata: was it synthesized with asset metadata on?');
  const directory = join(assembly.directory, assetPath);
  if (!existsSync(directory)) throw new Error(`Asset ${directory} is missing from the cloud assembly`);
  return directory;
}

/** A stable six-character suffix, like the random one CloudFormation and Secrets Manager add to names. */
const suffix = (text: string, length = 6): string => createHash('sha256').update(text).digest('hex').slice(0, length);

interface PhysicalResource {
  ref: string;
  attributes: Record<string, string>;
}

/**
 * What CloudFormation would have created, named locally: each resource's `Ref` and `Fn::GetAtt`
 * values, in the account and region of its stack. Names the template leaves to CloudFormation
 * get `{stack}-{logicalId}`, so they are stable across restarts.
 */
export class StackResolver {
  private readonly physical = new Map<string, PhysicalResource>();

  constructor(
    readonly stack: TemplateStack,
    private readonly urls: { apiEndpoint: string; queueEndpoint: string },
  ) {}

  /** Ref and attributes of a resource, computed once. */
  physicalOf(logicalId: string): PhysicalResource {
    let physical = this.physical.get(logicalId);
    if (!physical) {
      physical = this.compute(logicalId);
      this.physical.set(logicalId, physical);
    }
    return physical;
  }

  ref(logicalId: string): string {
    return this.physicalOf(logicalId).ref;
  }

  arn(logicalId: string): string {
    const arn = this.physicalOf(logicalId).attributes['Arn'];
    if (!arn) throw new Error(`${this.stack.name}/${logicalId} has no Arn attribute in the twin`);
    return arn;
  }

  /** Resolves Ref, Fn::GetAtt, Fn::Join, Fn::Sub, Fn::Select and Fn::Split; anything else is an error naming where it is. */
  resolve(value: unknown, where = 'template'): unknown {
    if (Array.isArray(value)) return value.map((item, index) => this.resolve(item, `${where}[${index}]`));
    if (typeof value !== 'object' || value === null) return value;
    const entries = Object.entries(value as Record<string, unknown>);
    const [first] = entries;
    if (entries.length === 1 && first && (first[0] === 'Ref' || first[0].startsWith('Fn::')))
      return this.intrinsic(first[0], first[1], where);
    return Object.fromEntries(entries.map(([key, item]) => [key, this.resolve(item, `${where}.${key}`)]));
  }

  resolveString(value: unknown, where: string): string {
    const resolved = this.resolve(value, where);
    if (typeof resolved !== 'string') throw new Error(`${where} resolved to ${JSON.stringify(resolved)}, not a string`);
    return resolved;
  }

  private intrinsic(name: string, argument: unknown, where: string): unknown {
    switch (name) {
      case 'Ref':
        return this.pseudo(String(argument)) ?? this.ref(String(argument));
      case 'Fn::GetAtt': {
        const [logicalId, attribute] = Array.isArray(argument)
          ? argument.map(String)
          : String(argument).split(/\.(.*)/su);
        const value = this.physicalOf(logicalId ?? '').attributes[attribute ?? ''];
        if (value === undefined)
          throw new Error(`${where}: Fn::GetAtt ${logicalId ?? ''}.${attribute ?? ''} is not known to the twin`);
        return value;
      }
      case 'Fn::Join': {
        const [delimiter, parts] = argument as [string, unknown[]];
        return (this.resolve(parts, where) as unknown[]).map(String).join(delimiter);
      }
      case 'Fn::Sub': {
        const [text, variables] = Array.isArray(argument)
          ? (argument as [string, Record<string, unknown>])
          : [String(argument), {}];
        const resolvedVariables = this.resolve(variables, where) as Record<string, unknown>;
        return text.replace(/\$\{([^}!]+)\}/gu, (_match, expression: string) => {
          if (expression in resolvedVariables) return String(resolvedVariables[expression]);
          const pseudo = this.pseudo(expression);
          if (pseudo !== undefined) return pseudo;
          const [logicalId, attribute] = expression.split(/\.(.*)/su);
          return attribute ? String(this.intrinsic('Fn::GetAtt', [logicalId, attribute], where)) : this.ref(expression);
        });
      }
      case 'Fn::Select': {
        const [index, list] = argument as [unknown, unknown];
        return (this.resolve(list, where) as unknown[])[Number(this.resolve(index, where))];
      }
      case 'Fn::Split': {
        const [delimiter, text] = argument as [string, unknown];
        return this.resolveString(text, where).split(delimiter);
      }
      default:
        throw new Error(`${where}: ${name} is not supported by the twin`);
    }
  }

  private pseudo(name: string): string | undefined {
    const { account, region, name: stackName } = this.stack;
    const values: Record<string, string> = {
      'AWS::AccountId': account,
      'AWS::Region': region,
      'AWS::Partition': 'aws',
      'AWS::URLSuffix': 'amazonaws.com',
      'AWS::StackName': stackName,
      'AWS::StackId': `arn:aws:cloudformation:${region}:${account}:stack/${stackName}/${suffix(stackName, 8)}`,
    };
    return values[name];
  }

  private compute(logicalId: string): PhysicalResource {
    const resource = this.stack.resources[logicalId];
    if (!resource) throw new Error(`${this.stack.name}: no resource ${logicalId}`);
    const { account, region, name: stackName } = this.stack;
    const properties = resource.Properties ?? {};
    const named = (property: string, fallback = `${stackName}-${logicalId}`): string => {
      const value = properties[property];
      return typeof value === 'string' ? value : fallback;
    };
    switch (resource.Type) {
      case 'AWS::Lambda::Function': {
        const name = named('FunctionName');
        return { ref: name, attributes: { Arn: `arn:aws:lambda:${region}:${account}:function:${name}` } };
      }
      case 'AWS::DynamoDB::Table':
      case 'AWS::DynamoDB::GlobalTable': {
        const name = named('TableName');
        const arn = `arn:aws:dynamodb:${region}:${account}:table/${name}`;
        return { ref: name, attributes: { Arn: arn, StreamArn: `${arn}/stream/1970-01-01T00:00:00.000` } };
      }
      case 'AWS::Events::EventBus': {
        const name = named('Name');
        return { ref: name, attributes: { Arn: `arn:aws:events:${region}:${account}:event-bus/${name}`, Name: name } };
      }
      case 'AWS::Events::Rule': {
        const name = named('Name');
        const bus =
          properties['EventBusName'] === undefined
            ? 'default'
            : this.resolveString(properties['EventBusName'], `${logicalId}.EventBusName`);
        const arn =
          bus === 'default'
            ? `arn:aws:events:${region}:${account}:rule/${name}`
            : `arn:aws:events:${region}:${account}:rule/${bus}/${name}`;
        return { ref: bus === 'default' ? name : `${bus}|${name}`, attributes: { Arn: arn } };
      }
      case 'AWS::Events::Archive': {
        const name = named('ArchiveName');
        return { ref: name, attributes: { Arn: `arn:aws:events:${region}:${account}:archive/${name}` } };
      }
      case 'AWS::SecretsManager::Secret': {
        const name = named('Name');
        return { ref: `arn:aws:secretsmanager:${region}:${account}:secret:${name}-${suffix(name)}`, attributes: {} };
      }
      case 'AWS::KMS::Key': {
        const id = `${suffix(logicalId, 8)}-${suffix(`${logicalId}1`, 4)}-${suffix(`${logicalId}2`, 4)}-${suffix(`${logicalId}3`, 4)}-${suffix(`${logicalId}4`, 12)}`;
        return { ref: id, attributes: { Arn: `arn:aws:kms:${region}:${account}:key/${id}`, KeyId: id } };
      }
      case 'AWS::IAM::Role': {
        const name = named('RoleName');
        return {
          ref: name,
          attributes: { Arn: `arn:aws:iam::${account}:role/${name}`, RoleId: `AROA${suffix(name, 16).toUpperCase()}` },
        };
      }
      case 'AWS::IAM::Policy':
        return { ref: named('PolicyName'), attributes: {} };
      case 'AWS::SQS::Queue': {
        const name = named('QueueName');
        return {
          ref: `${this.urls.queueEndpoint}/${account}/${name}`,
          attributes: {
            Arn: `arn:aws:sqs:${region}:${account}:${name}`,
            QueueName: name,
            QueueUrl: `${this.urls.queueEndpoint}/${account}/${name}`,
          },
        };
      }
      case 'AWS::Logs::LogGroup': {
        const name = named('LogGroupName', `/aws/twin/${stackName}/${logicalId}`);
        return { ref: name, attributes: { Arn: `arn:aws:logs:${region}:${account}:log-group:${name}:*` } };
      }
      case 'AWS::StepFunctions::StateMachine': {
        const name = named('StateMachineName');
        const arn = `arn:aws:states:${region}:${account}:stateMachine:${name}`;
        return { ref: arn, attributes: { Arn: arn, Name: name } };
      }
      case 'AWS::ApiGatewayV2::Api':
        return {
          ref: suffix(logicalId, 10),
          attributes: { ApiEndpoint: this.urls.apiEndpoint, ApiId: suffix(logicalId, 10) },
        };
      case 'AWS::CloudWatch::Alarm': {
        const name = named('AlarmName');
        return { ref: name, attributes: { Arn: `arn:aws:cloudwatch:${region}:${account}:alarm:${name}` } };
      }
      default:
        // Integrations, authorizers, stages, permissions, dashboards: their Ref is only ever an id.
        return { ref: logicalId, attributes: {} };
    }
  }
}

/** The logical ids of a stack's resources of one type. */
export function resourcesOfType(stack: TemplateStack, type: string): [string, TemplateResource][] {
  return Object.entries(stack.resources).filter(([, resource]) => resource.Type === type);
}
