import type { BusEntry, EventType } from '../../events/envelope.js';
import type { EventPublisher } from '../ports/index.js';

/** A function published an event its declaration does not list: a programming error, never retried. */
export class UndeclaredEventError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UndeclaredEventError';
  }
}

/**
 * The `bus` port as a function's declaration allows it: only the source and detail-type pairs in
 * `use.publishes`. IAM refuses anything else on AWS (`events:source`, `events:detail-type`); this
 * refuses it before any entry is sent, so an undeclared publish fails in local tests too, and a
 * batch is never half published.
 */
export class DeclaredEventPublisher implements EventPublisher {
  private readonly allowed: ReadonlySet<string>;

  constructor(
    private readonly inner: EventPublisher,
    publishes: readonly EventType[],
    private readonly publisher: string,
  ) {
    this.allowed = new Set(publishes.map(eventTypeKey));
  }

  async publish(entries: BusEntry[]): Promise<void> {
    const undeclared = entries.find((entry) => !this.allowed.has(eventTypeKey(entry)));
    if (undeclared)
      throw new UndeclaredEventError(
        `${this.publisher} may not publish "${undeclared.detailType}" as ${undeclared.source}: its declaration's use.publishes does not list it`,
      );
    await this.inner.publish(entries);
  }
}

const eventTypeKey = ({ source, detailType }: EventType): string => JSON.stringify([source, detailType]);
