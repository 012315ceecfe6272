import { randomUUID } from 'node:crypto';
import type { BusEntry, BusEvent } from '../../events/envelope.js';
import { matchesEventPattern } from '../../events/pattern-matcher.js';
import type { EventPublisher } from '../../functions/ports/index.js';

/** The account every event carries locally, where everything runs in one. */
export const LOCAL_ACCOUNT = '000000000000';

export interface LocalRule {
  name: string;
  pattern: object;
  target: (event: BusEvent) => Promise<unknown>;
  /**
   * How many deliveries to this target run at once, as a Lambda function's concurrency caps its
   * invocations (`key` names the function, which several rules may share). The rest wait their
   * turn, so a burst of events queues for its consumer instead of starving the server that
   * published them: on AWS the consumer has its own compute, here it shares one event loop.
   */
  concurrency?: { key: string; limit: number };
}

export interface DeadLetter {
  rule: string;
  event: BusEvent;
  error: string;
}

const MAX_DETAIL_BYTES = 256 * 1024;
const DELIVERY_ATTEMPTS = 3;

/**
 * The EventBridge bus in-process: the same rule patterns, matched by our implementation of
 * EventBridge content filtering, asynchronous delivery with retries, and a dead-letter list for
 * targets that keep failing (as the DLQs on AWS).
 */
export class LocalBus implements EventPublisher {
  private rules: LocalRule[] = [];
  private readonly inFlight = new Set<Promise<void>>();
  private readonly running = new Map<string, number>();
  private readonly queued = new Map<string, (() => void)[]>();
  readonly deadLetters: DeadLetter[] = [];
  readonly published: BusEvent[] = [];

  constructor(
    private readonly options: {
      retryDelayMs: number;
      onDeliveryError?: (rule: string, event: BusEvent, error: unknown) => void;
    },
  ) {}

  setRules(rules: LocalRule[]): void {
    this.rules = rules;
  }

  publish(entries: BusEntry[]): Promise<void> {
    const events = entries.map((entry) => this.toEvent(entry));
    for (const event of events) {
      this.published.push(event);
      for (const rule of this.rules.filter((candidate) => matchesEventPattern(candidate.pattern, event))) {
        const delivery = this.deliver(rule, event).finally(() => this.inFlight.delete(delivery));
        this.inFlight.add(delivery);
      }
    }
    return Promise.resolve();
  }

  /** Resolves once every delivery, including those they caused, has finished. */
  async idle(): Promise<void> {
    while (this.inFlight.size > 0) await Promise.allSettled([...this.inFlight]);
  }

  private toEvent(entry: BusEntry): BusEvent {
    if (!entry.source || !entry.detailType) throw new Error('An event needs a source and a detail-type');
    const detailBytes = Buffer.byteLength(JSON.stringify(entry.detail));
    if (detailBytes > MAX_DETAIL_BYTES)
      throw new Error(`Event detail is ${detailBytes} bytes; EventBridge accepts 256 KiB`);
    return {
      version: '0',
      id: randomUUID(),
      'detail-type': entry.detailType,
      source: entry.source,
      account: LOCAL_ACCOUNT,
      time: new Date().toISOString(),
      region: entry.region ?? 'us-east-1',
      resources: entry.resources ?? [],
      detail: entry.detail,
    };
  }

  private async deliver(rule: LocalRule, event: BusEvent): Promise<void> {
    // A macrotask boundary, as on AWS: the publisher never runs its own consumers inline.
    await new Promise((resolve) => setImmediate(resolve));
    const release = await this.slot(rule);
    try {
      await this.attempt(rule, event);
    } finally {
      release();
    }
  }

  /** A free slot of the target's concurrency; a finished delivery hands its slot to the next in line. */
  private async slot(rule: LocalRule): Promise<() => void> {
    const { concurrency } = rule;
    if (!concurrency) return () => undefined;
    const running = this.running.get(concurrency.key) ?? 0;
    if (running < concurrency.limit) this.running.set(concurrency.key, running + 1);
    else
      await new Promise<void>((resolve) => {
        this.queued.set(concurrency.key, [...(this.queued.get(concurrency.key) ?? []), resolve]);
      });
    return () => {
      const next = this.queued.get(concurrency.key)?.shift();
      if (next) next();
      else this.running.set(concurrency.key, (this.running.get(concurrency.key) ?? 1) - 1);
    };
  }

  private async attempt(rule: LocalRule, event: BusEvent): Promise<void> {
    for (let attempt = 1; attempt <= DELIVERY_ATTEMPTS; attempt += 1) {
      try {
        await rule.target(event);
        return;
      } catch (error) {
        this.options.onDeliveryError?.(rule.name, event, error);
        if (attempt === DELIVERY_ATTEMPTS) {
          this.deadLetters.push({
            rule: rule.name,
            event,
            error: error instanceof Error ? `${error.name}: ${error.message}` : String(error),
          });
          return;
        }
        await new Promise((resolve) => setTimeout(resolve, this.options.retryDelayMs * 2 ** (attempt - 1)));
      }
    }
  }
}
