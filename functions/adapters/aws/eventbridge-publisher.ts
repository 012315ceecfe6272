import { PutEventsCommand, type EventBridgeClient, type PutEventsRequestEntry } from '@aws-sdk/client-eventbridge';
import type { BusEntry } from '../../../events/envelope.js';
import type { EventPublisher } from '../../ports/index.js';

const MAX_ATTEMPTS = 4;
const BATCH_SIZE = 10;

export class EventPublishFailedError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'EventPublishFailedError';
  }
}

/** Publishes to the control-plane bus, re-sending only the entries EventBridge reports as failed. */
export class EventBridgePublisher implements EventPublisher {
  constructor(
    private readonly client: EventBridgeClient,
    private readonly busName: string,
    private readonly sleep: (ms: number) => Promise<void> = (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
  ) {}

  async publish(entries: BusEntry[]): Promise<void> {
    for (let start = 0; start < entries.length; start += BATCH_SIZE) {
      await this.publishBatch(entries.slice(start, start + BATCH_SIZE).map((entry) => this.toRequestEntry(entry)));
    }
  }

  private async publishBatch(batch: PutEventsRequestEntry[]): Promise<void> {
    let pending = batch;
    for (let attempt = 1; attempt <= MAX_ATTEMPTS; attempt += 1) {
      const result = await this.client.send(new PutEventsCommand({ Entries: pending }));
      if (!result.FailedEntryCount) return;
      const failed = (result.Entries ?? []).flatMap((entry, index) =>
        entry.ErrorCode ? [{ entry: pending[index], error: entry }] : [],
      );
      if (attempt === MAX_ATTEMPTS) {
        const codes = failed.map(({ error }) => `${error.ErrorCode ?? ''}: ${error.ErrorMessage ?? ''}`).join('; ');
        throw new EventPublishFailedError(
          `${failed.length} event(s) not accepted by ${this.busName} after ${MAX_ATTEMPTS} attempts (${codes})`,
        );
      }
      pending = failed.flatMap(({ entry }) => (entry ? [entry] : []));
      await this.sleep(100 * 2 ** attempt);
    }
  }

  private toRequestEntry(entry: BusEntry): PutEventsRequestEntry {
    return {
      EventBusName: this.busName,
      Source: entry.source,
      DetailType: entry.detailType,
      Detail: JSON.stringify(entry.detail),
      Resources: entry.resources,
    };
  }
}
