import { randomUUID } from 'node:crypto';
import type { PutEventsRequestEntry, PutEventsResultEntry } from '@aws-sdk/client-eventbridge';
import { matchesEventPattern } from '../../events/pattern-matcher.js';
import { resourcesOfType, type StackResolver } from './assembly.js';
import {
  authorizeCall,
  AwsServiceError,
  startJsonEndpoint,
  type AuthorizeOptions,
  type Caller,
  type Principals,
  type RunningEndpoint,
} from './aws-endpoint.js';
import type { LambdaService } from './lambda.js';

interface RuleTarget {
  Id: string;
  Arn: string;
  RoleArn?: string;
  Input?: string;
  InputPath?: string;
  InputTransformer?: { InputPathsMap?: Record<string, string>; InputTemplate: string };
  RetryPolicy?: { MaximumRetryAttempts?: number; MaximumEventAgeInSeconds?: number };
  DeadLetterConfig?: { Arn?: string };
}

export interface TwinRule {
  stack: string;
  logicalId: string;
  arn: string;
  /** `{region}/{bus name}`. */
  bus: string;
  pattern: object;
  enabled: boolean;
  targets: RuleTarget[];
}

interface LambdaPermission {
  functionName: string;
  principal: string;
  sourceArn?: string;
}

/** An event as a rule sees it: the envelope EventBridge adds around an entry. */
export interface BusEvent {
  version: '0';
  id: string;
  'detail-type': string;
  source: string;
  account: string;
  time: string;
  region: string;
  resources: string[];
  detail: Record<string, unknown>;
}

export interface DeadLetter {
  queueArn: string;
  rule: string;
  target: string;
  error: string;
  event: unknown;
  at: string;
}

/** A JSONPath of dotted keys (`$.detail.service`), all that rule targets use. */
function readPath(value: unknown, path: string): unknown {
  if (path === '$') return value;
  return path
    .replace(/^\$\.?/u, '')
    .split('.')
    .reduce<unknown>(
      (current, key) =>
        typeof current === 'object' && current !== null ? (current as Record<string, unknown>)[key] : undefined,
      value,
    );
}

/** What the target receives: the whole event, Input, InputPath or InputTransformer. */
export function targetInput(target: RuleTarget, event: BusEvent): unknown {
  if (target.Input !== undefined) return JSON.parse(target.Input) as unknown;
  if (target.InputPath) return readPath(event, target.InputPath);
  if (target.InputTransformer) {
    const values = Object.fromEntries(
      Object.entries(target.InputTransformer.InputPathsMap ?? {}).map(([name, path]) => [name, readPath(event, path)]),
    );
    const text = target.InputTransformer.InputTemplate.replace(/<([\w.-]+)>/gu, (match, name: string) => {
      if (name === 'aws.events.event.json') return JSON.stringify(event);
      if (!(name in values)) return match;
      const value = values[name];
      return typeof value === 'string' ? value : JSON.stringify(value ?? null);
    });
    try {
      return JSON.parse(text) as unknown;
    } catch {
      return text;
    }
  }
  return event;
}

/**
 * EventBridge for the twin: every bus and rule of every stack (the custom bus and each region's
 * default bus), `PutEvents` authorized per bus, patterns applied with `events/pattern-matcher.ts`,
 * and targets delivered as EventBridge does: Lambda asynchronously (given a resource policy that
 * lets this rule invoke it), other buses through the rule's role, retries per RetryPolicy, and
 * undeliverable events to the rule's DLQ.
 */
export class TwinEventBridge {
  readonly rules: TwinRule[] = [];
  readonly deadLetters: DeadLetter[] = [];
  private readonly permissions: LambdaPermission[] = [];
  private readonly inFlight = new Set<Promise<void>>();
  private stopped = false;

  constructor(
    resolvers: StackResolver[],
    private readonly lambda: LambdaService,
    private readonly auth: AuthorizeOptions,
    private readonly timeScale: number,
  ) {
    for (const resolver of resolvers) {
      const { stack } = resolver;
      for (const [logicalId, resource] of resourcesOfType(stack, 'AWS::Events::Rule')) {
        const properties = resolver.resolve(resource.Properties ?? {}, logicalId) as Record<string, unknown>;
        const busName =
          typeof properties['EventBusName'] === 'string'
            ? (properties['EventBusName'].split('/').at(-1) ?? 'default')
            : 'default';
        this.rules.push({
          stack: stack.name,
          logicalId,
          arn: resolver.arn(logicalId),
          bus: `${stack.region}/${busName}`,
          pattern: properties['EventPattern'] ?? {},
          enabled: properties['State'] !== 'DISABLED',
          targets: (properties['Targets'] ?? []) as RuleTarget[],
        });
      }
      for (const [logicalId, resource] of resourcesOfType(stack, 'AWS::Lambda::Permission')) {
        const properties = resolver.resolve(resource.Properties ?? {}, logicalId) as Record<string, unknown>;
        this.permissions.push({
          functionName: String(properties['FunctionName']),
          principal: String(properties['Principal']),
          ...(typeof properties['SourceArn'] === 'string' ? { sourceArn: properties['SourceArn'] } : {}),
        });
      }
    }
  }

  /** Puts entries on buses as `caller` (a function) or as AWS itself (`undefined`: a service publishing to its default bus). */
  async putEvents(
    entries: PutEventsRequestEntry[],
    where: { account: string; region: string },
    caller: Caller | undefined,
  ): Promise<{ FailedEntryCount: number; Entries: PutEventsResultEntry[] }> {
    const results: PutEventsResultEntry[] = [];
    const accepted: { bus: string; event: BusEvent }[] = [];
    for (const entry of entries) {
      const bus = this.busOf(entry.EventBusName, where);
      if (caller) {
        await authorizeCall(this.auth, caller, 'events:PutEvents', bus.arn, {
          ...(entry.Source ? { 'events:source': entry.Source } : {}),
          ...(entry.DetailType ? { 'events:detail-type': entry.DetailType } : {}),
        });
      }
      if (!entry.Source || !entry.DetailType || entry.Detail === undefined) {
        results.push({
          ErrorCode: 'InvalidArgument',
          ErrorMessage: 'Parameters Source, DetailType and Detail are required',
        });
        continue;
      }
      let detail: unknown;
      try {
        detail = JSON.parse(entry.Detail);
      } catch {
        results.push({ ErrorCode: 'MalformedDetail', ErrorMessage: 'Detail is malformed.' });
        continue;
      }
      if (typeof detail !== 'object' || detail === null || Array.isArray(detail)) {
        results.push({ ErrorCode: 'MalformedDetail', ErrorMessage: 'Detail must be a JSON object.' });
        continue;
      }
      const id = randomUUID();
      accepted.push({
        bus: bus.key,
        event: {
          version: '0',
          id,
          'detail-type': entry.DetailType,
          source: entry.Source,
          account: where.account,
          time: (entry.Time ?? new Date()).toISOString().replace(/\.\d{3}Z$/u, 'Z'),
          region: where.region,
          resources: entry.Resources ?? [],
          detail: detail as Record<string, unknown>,
        },
      });
      results.push({ EventId: id });
    }
    for (const { bus, event } of accepted) this.route(bus, event);
    return { FailedEntryCount: results.filter((result) => result.ErrorCode).length, Entries: results };
  }

  /** Resolves once every matched event was delivered, and the async invocations it caused have finished. */
  async idle(): Promise<void> {
    do {
      while (this.inFlight.size > 0) await Promise.allSettled([...this.inFlight]);
      await this.lambda.idle();
    } while (this.inFlight.size > 0);
  }

  stop(): void {
    this.stopped = true;
  }

  private busOf(name: string | undefined, where: { account: string; region: string }): { key: string; arn: string } {
    const arn = /^arn:aws:events:([^:]+):(\d{12}):event-bus\/(.+)$/u.exec(name ?? '');
    const region = arn?.[1] ?? where.region;
    const account = arn?.[2] ?? where.account;
    const busName = arn?.[3] ?? (name || 'default');
    return { key: `${region}/${busName}`, arn: `arn:aws:events:${region}:${account}:event-bus/${busName}` };
  }

  private route(bus: string, event: BusEvent): void {
    for (const rule of this.rules) {
      if (!rule.enabled || rule.bus !== bus || !matchesEventPattern(rule.pattern, event)) continue;
      for (const target of rule.targets) {
        const delivery = this.deliver(rule, target, event);
        this.inFlight.add(delivery);
        void delivery.finally(() => this.inFlight.delete(delivery));
      }
    }
  }

  private async deliver(rule: TwinRule, target: RuleTarget, event: BusEvent): Promise<void> {
    const attempts = 1 + (target.RetryPolicy?.MaximumRetryAttempts ?? 185);
    const deadline = Date.now() + ((target.RetryPolicy?.MaximumEventAgeInSeconds ?? 86_400) * 1000) / this.timeScale;
    let lastError = '';
    for (let attempt = 0; attempt < attempts && !this.stopped; attempt += 1) {
      try {
        await this.sendToTarget(rule, target, event);
        return;
      } catch (error) {
        lastError = (error as Error).message;
        // Missing permissions and missing resources are not retried by EventBridge.
        if (error instanceof AwsServiceError) break;
        if (Date.now() > deadline) break;
        await new Promise((resolve) => setTimeout(resolve, Math.min(2 ** attempt * 1000, 300_000) / this.timeScale));
      }
    }
    if (this.stopped) return;
    const queueArn = target.DeadLetterConfig?.Arn;
    if (queueArn) {
      this.deadLetters.push({
        queueArn,
        rule: rule.arn,
        target: target.Arn,
        error: lastError,
        event,
        at: new Date().toISOString(),
      });
      this.auth.log(
        `events: ${rule.logicalId} could not deliver ${event['detail-type']} to ${target.Arn}: ${lastError}; sent to the DLQ ${queueArn}`,
      );
    } else {
      this.auth.log(
        `events: ${rule.logicalId} could not deliver ${event['detail-type']} to ${target.Arn}: ${lastError}; no DLQ, the event is DROPPED`,
      );
    }
  }

  private async sendToTarget(rule: TwinRule, target: RuleTarget, event: BusEvent): Promise<void> {
    const input = targetInput(target, event);
    if (target.Arn.startsWith('arn:aws:lambda:')) {
      const fn = this.lambda.find(target.Arn);
      if (!fn) throw new AwsServiceError('ResourceNotFoundException', `Function not found: ${target.Arn}`);
      const allowed = this.permissions.some(
        (permission) =>
          (permission.functionName === fn.arn || permission.functionName === fn.name) &&
          permission.principal === 'events.amazonaws.com' &&
          (permission.sourceArn === undefined || permission.sourceArn === rule.arn),
      );
      if (!allowed) {
        this.auth.log(
          `iam: DENIED events.amazonaws.com lambda:InvokeFunction on ${fn.arn} for ${rule.arn}: no AWS::Lambda::Permission lets this rule invoke the function`,
        );
        throw new AwsServiceError(
          'AccessDeniedException',
          `EventBridge is not allowed to invoke ${fn.arn} for ${rule.arn}`,
        );
      }
      this.lambda.invokeAsync(fn.arn, input, `${rule.logicalId} ${event['detail-type']}`);
      return;
    }
    const bus = /^arn:aws:events:([^:]+):(\d{12}):event-bus\/(.+)$/u.exec(target.Arn);
    if (bus?.[1] && bus[2]) {
      if (!target.RoleArn)
        throw new AwsServiceError('AccessDeniedException', `${rule.arn} has no role to put events on ${target.Arn}`);
      const caller: Caller = {
        accessKeyId: 'events',
        roleArn: target.RoleArn,
        sessionName: 'events',
        label: `rule ${rule.stack}/${rule.logicalId}`,
      };
      await authorizeCall(this.auth, caller, 'events:PutEvents', target.Arn);
      // Forwarded events keep their source, detail-type and region.
      const forwarded = input as BusEvent;
      this.route(`${bus[1]}/${bus[3] ?? 'default'}`, { ...forwarded, id: randomUUID() });
      return;
    }
    throw new AwsServiceError('UnsupportedTarget', `The twin does not deliver to ${target.Arn}`);
  }
}

/** `AWSEvents.PutEvents` (AWS JSON 1.1). */
export function startEventBridgeEndpoint(options: {
  events: TwinEventBridge;
  principals: Principals;
  account: string;
  region: string;
  log: (line: string) => void;
}): Promise<RunningEndpoint> {
  return startJsonEndpoint({
    service: 'events',
    principals: options.principals,
    targetPrefix: 'AWSEvents',
    contentType: 'application/x-amz-json-1.1',
    log: options.log,
    operations: {
      PutEvents: (input, caller) => {
        const entries = ((input['Entries'] ?? []) as (Omit<PutEventsRequestEntry, 'Time'> & { Time?: number })[]).map(
          ({ Time, ...entry }) => ({
            ...entry,
            ...(Time === undefined ? {} : { Time: new Date(Time * 1000) }),
          }),
        );
        if (entries.length === 0 || entries.length > 10)
          throw new AwsServiceError('ValidationException', 'PutEvents takes 1 to 10 entries');
        return options.events.putEvents(entries, { account: options.account, region: options.region }, caller);
      },
    },
  });
}
