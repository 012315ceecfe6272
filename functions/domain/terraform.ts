import type { ProvisioningRequest, ResourceType } from './provisioning.js';

type HclValue = string | number | boolean | HclValue[] | { [key: string]: HclValue };

/** An attribute whose value is a literal expression (a reference), written without quotes. */
export interface HclExpression {
  expression: string;
}

const quote = (text: string): string => JSON.stringify(text).replace(/\$\{/gu, '$$$${').replace(/%\{/gu, '%%{');

const isIdentifier = (key: string): boolean => /^[A-Za-z_][\w-]*$/u.test(key);

function renderValue(value: HclValue, indent: string): string {
  if (typeof value === 'string') return quote(value);
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (Array.isArray(value)) {
    if (value.every((item) => typeof item !== 'object')) return `[${value.map((item) => renderValue(item, indent)).join(', ')}]`;
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
    const rendered = typeof value === 'object' && !Array.isArray(value) && 'expression' in value && typeof value.expression === 'string' ? value.expression : renderValue(value as HclValue, indent);
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
export const moduleNameOf = (request: Pick<ProvisioningRequest, 'service' | 'name'>): string => `${request.service}_${request.name}`.replace(/-/gu, '_');

/** The module inputs for each type, from the request's validated spec. */
function moduleInputs(request: ProvisioningRequest): [string, HclValue][] {
  const spec = request.spec as Record<string, HclValue | undefined>;
  const defined = (entries: [string, HclValue | undefined][]): [string, HclValue][] => entries.filter((entry): entry is [string, HclValue] => entry[1] !== undefined);
  const byType: Record<ResourceType, [string, HclValue | undefined][]> = {
    sqs: [['fifo', spec['fifo']], ['visibility_timeout_seconds', spec['visibilityTimeoutSeconds']], ['retention_days', spec['retentionDays']], ['max_receive_count', spec['maxReceiveCount']]],
    sns: [['fifo', spec['fifo']], ['subscriptions', spec['subscriptions']]],
    s3: [['versioning', spec['versioning']], ['expire_after_days', spec['expireAfterDays']], ['noncurrent_version_expire_after_days', spec['noncurrentVersionExpireAfterDays']]],
    dynamodb: [['partition_key', spec['partitionKey']], ['sort_key', spec['sortKey']], ['ttl_attribute', spec['ttlAttribute']], ['streams', spec['streams']]],
    rds: [['engine', spec['engine']], ['instance_class', spec['instanceClass']], ['storage_gb', spec['storageGb']], ['multi_az', spec['multiAz']], ['backup_retention_days', spec['backupRetentionDays']]],
    elasticache: [['engine', spec['engine']], ['node_type', spec['nodeType']], ['replicas', spec['replicas']]],
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
  const header = [
    `# Managed by Flightplan (provisioning request ${request.id}); change it through the portal.`,
    `# ${request.type} ${request.physicalName} for ${request.service} (${request.team}), requested by ${request.requestedBy}.`,
  ];
  const identity: [string, HclValue][] = [
    ['name', request.physicalName],
    ['environment', request.environment],
    ['region', request.region],
    ['secret_path', request.secretPath],
  ];
  const tags: [string, HclValue][] = [['tags', { service: request.service, team: request.team, domain: request.domain, environment: request.environment, 'flightplan:request': request.id }]];
  const body = [
    `  source = ${quote(`${moduleSource}//${request.type}?ref=v1`)}\n`,
    renderAttributes(identity, '  '),
    renderAttributes(moduleInputs(request), '  '),
    renderAttributes(tags, '  '),
  ].filter((section) => section !== '');
  const output = renderAttributes([['value', { expression: `module.${name}` }], ['sensitive', true]], '  ');
  return `${header.join('\n')}\nmodule ${quote(name)} {\n${body.join('\n')}}\n\noutput ${quote(name)} {\n${output}}\n`;
}
