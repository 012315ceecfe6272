import { execFile } from 'node:child_process';
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';

/**
 * What `cdk synth` wrote to cdk.out: the templates and the function bundles that `cdk deploy`
 * ships. Tests of the artifact read these, never the TypeScript sources.
 */
export const CLOUD_ASSEMBLY = 'cdk.out';
const SOURCES = ['functions', 'events', 'workflows', 'infra', 'cdk.json', 'package-lock.json'];

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

const text = (value: Json | undefined, fallback = ''): string => (typeof value === 'string' ? value : fallback);

export interface CfnResource {
  Type: string;
  Properties?: Record<string, Json>;
  Metadata?: Record<string, Json>;
}

export interface Template {
  Resources: Record<string, CfnResource>;
}

export interface SynthesizedFunction {
  logicalId: string;
  /** The construct id, which is the function id of infra/system.ts. */
  functionId: string;
  /** `cdk.out/asset.<hash>/index.mjs`. */
  entry: string;
  handler: string;
  timeoutSeconds: number;
  environment: Record<string, string>;
}

function newestModification(path: string): number {
  const stat = statSync(path);
  if (!stat.isDirectory()) return stat.mtimeMs;
  return Math.max(stat.mtimeMs, ...readdirSync(path).map((name) => newestModification(join(path, name))));
}

/** Synthesizes unless cdk.out is newer than every source (npm test synthesizes before vitest). */
export async function ensureCloudAssembly(): Promise<void> {
  const template = join(CLOUD_ASSEMBLY, 'Flightplan.template.json');
  if (
    existsSync(template) &&
    statSync(template).mtimeMs > Math.max(...SOURCES.filter((path) => existsSync(path)).map(newestModification))
  )
    return;
  await promisify(execFile)('npx', ['cdk', 'synth', '--quiet'], { maxBuffer: 64 * 1024 * 1024 });
}

export function readTemplate(stack = 'Flightplan'): Template {
  return JSON.parse(readFileSync(join(CLOUD_ASSEMBLY, `${stack}.template.json`), 'utf8')) as Template;
}

/** Local stand-ins for what CloudFormation fills in: pseudo parameters and the stack's resources. */
export interface Resolution {
  account: string;
  region: string;
  /** What a `Ref` to one of the stack's resources stands for here (a table name, a secret ARN). */
  ref: (logicalId: string, resource: CfnResource | undefined) => string;
}

/** Resolves the intrinsic functions a template's environment uses: Ref, Fn::GetAtt, Fn::Join and Fn::Sub. */
export function resolveIntrinsic(value: Json, template: Template, resolution: Resolution): string {
  const pseudo: Record<string, string> = {
    'AWS::Partition': 'aws',
    'AWS::Region': resolution.region,
    'AWS::AccountId': resolution.account,
    'AWS::URLSuffix': 'amazonaws.com',
  };
  const ref = (name: string) => pseudo[name] ?? resolution.ref(name, template.Resources[name]);
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (value && typeof value === 'object' && !Array.isArray(value)) {
    if ('Ref' in value && typeof value['Ref'] === 'string') return ref(value['Ref']);
    const join = value['Fn::Join'];
    if (Array.isArray(join)) {
      const [separator, parts] = join;
      return (Array.isArray(parts) ? parts : [])
        .map((part) => resolveIntrinsic(part, template, resolution))
        .join(text(separator));
    }
    const getAtt = value['Fn::GetAtt'];
    if (Array.isArray(getAtt)) return `${ref(text(getAtt[0]))}.${text(getAtt[1])}`;
    const sub = value['Fn::Sub'];
    if (typeof sub === 'string') return sub.replace(/\$\{([\w:.]+)\}/gu, (_match, name: string) => ref(name));
  }
  throw new Error(`Cannot resolve ${JSON.stringify(value)}`);
}

/** Every AWS::Lambda::Function of a template, with its bundle and its resolved environment. */
export function synthesizedFunctions(template: Template, resolution: Resolution): SynthesizedFunction[] {
  return Object.entries(template.Resources)
    .filter(
      ([, resource]) =>
        resource.Type === 'AWS::Lambda::Function' && typeof resource.Metadata?.['aws:asset:path'] === 'string',
    )
    .map(([logicalId, resource]) => {
      const properties = resource.Properties ?? {};
      const variables =
        (properties['Environment'] as { Variables?: Record<string, Json> } | undefined)?.Variables ?? {};
      const cdkPath = text(resource.Metadata?.['aws:cdk:path']);
      const [file, exported] = text(properties['Handler'], 'index.handler').split('.');
      return {
        logicalId,
        functionId: cdkPath.split('/')[1] ?? logicalId,
        entry: join(CLOUD_ASSEMBLY, text(resource.Metadata?.['aws:asset:path']), `${file ?? 'index'}.mjs`),
        handler: exported ?? 'handler',
        timeoutSeconds: Number(properties['Timeout'] ?? 3),
        environment: Object.fromEntries(
          Object.entries(variables).map(([name, value]) => [name, resolveIntrinsic(value, template, resolution)]),
        ),
      };
    });
}
