import { ValidationError } from '../errors.js';
import type { ProvisioningRequest, ResourceType } from './provisioning.js';

type HclValue = string | number | boolean | HclValue[] | { [key: string]: HclValue };

/** An attribute whose value is a literal expression (a reference), written without quotes. */
export interface HclExpression {
  expression: string;
}

// C0 and C1 controls, DEL and the Unicode line separators: HCL has no escape for some of them
// (JSON.stringify's \b and \f), and a raw one is a way out of the string.
// eslint-disable-next-line no-control-regex
const CONTROL_CHARACTERS = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/u;

/**
 * An HCL quoted string: `"` and `\\` escaped, template sequences (`${`, `%{`) doubled so a value is
 * never interpolated. A control character is refused rather than escaped: no value Flightplan
 * writes needs one, and it is the shape of an injection.
 */
export function hclString(text: string): string {
  if (CONTROL_CHARACTERS.test(text)) {
    throw new ValidationError('A value for the Terraform file contains a control character', [
      { path: '', message: `control character in ${JSON.stringify(text.slice(0, 80))}` },
    ]);
  }
  const escaped = text
    .replace(/["\\]/gu, (character) => `\\${character}`)
    .replace(/\$\{/gu, () => '$${')
    .replace(/%\{/gu, () => '%%{');
  return `"${escaped}"`;
}

const quote = hclString;

const isIdentifier = (key: string): boolean => /^[A-Za-z_][\w-]*$/u.test(key);

function renderValue(value: HclValue, indent: string): string {
  if (typeof value === 'string') return quote(value);
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (Array.isArray(value)) {
    if (value.every((item) => typeof item !== 'object'))
      return `[${value.map((item) => renderValue(item, indent)).join(', ')}]`;
    return `[\n${value.map((item) => `${indent}  ${renderValue(item, `${indent}  `)},`).join('\n')}\n${indent}]`;
  }
  return `{\n${renderAttributes(Object.entries(value), `${indent}  `)}${indent}}`;
}

/**
 * Attributes the way `terraform fmt` lays them out: the `=` of consecutive one-line attributes
 * aligned, a multi-line value ending the run of aligned lines.
 */
function renderAttributes(entries: [string, HclValue | HclExpression][], indent: string): string {
  const lines: string[] = [];
  let run: [string, string][] = [];
  const flush = () => {
    const width = Math.max(0, ...run.map(([key]) => key.length));
    for (const [key, rendered] of run) lines.push(`${indent}${key.padEnd(width)} = ${rendered}`);
    run = [];
  };
  for (const [rawKey, value] of entries) {
    const key = isIdentifier(rawKey) ? rawKey : quote(rawKey);
    const rendered =
      typeof value === 'object' &&
      !Array.isArray(value) &&
      'expression' in value &&
      typeof value.expression === 'string'
        ? value.expression
        : renderValue(value as HclValue, indent);
    if (rendered.includes('\n')) {
      flush();
      lines.push(`${indent}${key} = ${rendered}`);
    } else {
      run.push([key, rendered]);
    }
  }
  flush();
  return lines.map((line) => `${line}\n`).join('');
}

/** Terraform identifiers allow dashes, but module addresses read better with underscores. */
export const moduleNameOf = (request: Pick<ProvisioningRequest, 'service' | 'name'>): string =>
  `${request.service}_${request.name}`.replace(/-/gu, '_');

/** The module inputs for each type, from the request's validated spec. */
function moduleInputs(request: ProvisioningRequest): [string, HclValue][] {
  const spec = request.spec as Record<string, HclValue | undefined>;
  const defined = (entries: [string, HclValue | undefined][]): [string, HclValue][] =>
    entries.filter((entry): entry is [string, HclValue] => entry[1] !== undefined);
  const byType: Record<ResourceType, [string, HclValue | undefined][]> = {
    sqs: [
      ['fifo', spec['fifo']],
      ['visibility_timeout_seconds', spec['visibilityTimeoutSeconds']],
      ['retention_days', spec['retentionDays']],
      ['max_receive_count', spec['maxReceiveCount']],
    ],
    sns: [
      ['fifo', spec['fifo']],
      ['subscriptions', spec['subscriptions']],
    ],
    s3: [
      ['versioning', spec['versioning']],
      ['expire_after_days', spec['expireAfterDays']],
      ['noncurrent_version_expire_after_days', spec['noncurrentVersionExpireAfterDays']],
    ],
    dynamodb: [
      ['partition_key', spec['partitionKey']],
      ['sort_key', spec['sortKey']],
      ['ttl_attribute', spec['ttlAttribute']],
      ['streams', spec['streams']],
    ],
    rds: [
      ['engine', spec['engine']],
      ['instance_class', spec['instanceClass']],
      ['storage_gb', spec['storageGb']],
      ['multi_az', spec['multiAz']],
      ['backup_retention_days', spec['backupRetentionDays']],
    ],
    elasticache: [
      ['engine', spec['engine']],
      ['node_type', spec['nodeType']],
      ['replicas', spec['replicas']],
    ],
  };
  return defined(byType[request.type]);
}

/**
 * The Terraform file for one request: one call of the platform module for its type. The module
 * turns on what is not optional (encryption, public access blocks, backups) and writes the
 * connection details to the request's Secrets Manager path.
 */
export function renderTerraform(request: ProvisioningRequest, moduleSource: string): string {
  const name = moduleNameOf(request);
  // Only a fixed sentence in comments: what a person typed (a login, a reason) never reaches a
  // comment, where no escaping applies. Who asked is in the pull request.
  const header = [`# Managed by Flightplan; change it through the portal.`];
  const identity: [string, HclValue][] = [
    ['name', request.physicalName],
    ['environment', request.environment],
    ['region', request.region],
    ['secret_path', request.secretPath],
  ];
  const tags: [string, HclValue][] = [
    [
      'tags',
      {
        service: request.service,
        team: request.team,
        domain: request.domain,
        environment: request.environment,
        'flightplan:request': request.id,
      },
    ],
  ];
  const body = [
    `  source = ${quote(`${moduleSource}//${request.type}?ref=v1`)}\n`,
    renderAttributes(identity, '  '),
    renderAttributes(moduleInputs(request), '  '),
    renderAttributes(tags, '  '),
  ].filter((section) => section !== '');
  const output = renderAttributes(
    [
      ['value', { expression: `module.${name}` }],
      ['sensitive', true],
    ],
    '  ',
  );
  return `${header.join('\n')}\nmodule ${quote(name)} {\n${body.join('\n')}}\n\noutput ${quote(name)} {\n${output}}\n`;
}
