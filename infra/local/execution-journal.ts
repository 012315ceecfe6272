import { type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { BatchWriteCommand, GetCommand, PutCommand, paginateScan } from '@aws-sdk/lib-dynamodb';
import { DynamoDbTable } from '../../functions/adapters/aws/dynamodb-table.js';
import type { TableDesign } from '../../functions/adapters/aws/table-design.js';
import type { ExecutionDescription, StateMachineName } from '../../functions/ports/index.js';

/**
 * One event of an execution's history, in the shape of Step Functions' GetExecutionHistory
 * (`TaskStateEntered` with `stateEnteredEventDetails`, `MapIterationStarted` with
 * `mapIterationStartedEventDetails`, …).
 */
export interface HistoryEvent {
  id: number;
  previousEventId: number;
  timestamp: string;
  type: string;
  [details: string]: unknown;
}

/** What the local engine keeps of one execution: enough to describe it and to resume it. */
export interface ExecutionRecord {
  executionArn: string;
  name: string;
  stateMachine: StateMachineName;
  /** The definition it started with, by content hash: a changed file does not change a running execution. */
  definitionHash: string;
  input: string;
  status: ExecutionDescription['status'];
  startDate: string;
  stopDate?: string;
  /** JSON. */
  output?: string;
  error?: string;
  cause?: string;
  /** JSON of where a running execution is (state, input, task token, timers, Map iterations); absent once it ended. */
  position?: string;
  nextEventId: number;
  /** The execution that started this one (startExecution.sync). */
  parentArn?: string;
}

/**
 * Where the local Step Functions engine keeps executions. On AWS, Step Functions keeps this
 * state; locally it lives in DynamoDB Local, in a table of its own beside the runtime's tables.
 */
export interface ExecutionJournal {
  putDefinition(hash: string, stateMachine: StateMachineName, definition: string): Promise<void>;
  getDefinition(hash: string): Promise<string | undefined>;
  /** false when an execution of that ARN exists already. */
  create(record: ExecutionRecord, events: HistoryEvent[]): Promise<boolean>;
  save(record: ExecutionRecord, events: HistoryEvent[]): Promise<void>;
  get(executionArn: string): Promise<ExecutionRecord | undefined>;
  list(filter?: { stateMachine?: StateMachineName; status?: ExecutionRecord['status'] }): Promise<ExecutionRecord[]>;
  history(executionArn: string): Promise<HistoryEvent[]>;
}

export const EXECUTIONS_TABLE_DESIGN: TableDesign = { partitionKey: 'pk', sortKey: 'sk', indexes: [] };
export const LOCAL_EXECUTIONS_TABLE = 'flightplan-local-executions';

const executionKey = (executionArn: string) => ({ pk: `execution#${executionArn}`, sk: 'execution' });
const eventKey = (executionArn: string, id: number) => ({
  pk: `history#${executionArn}`,
  sk: `event#${String(id).padStart(10, '0')}`,
});
const matches = (
  record: ExecutionRecord,
  filter: { stateMachine?: StateMachineName; status?: ExecutionRecord['status'] },
) =>
  (!filter.stateMachine || record.stateMachine === filter.stateMachine) &&
  (!filter.status || record.status === filter.status);

/** The journal in DynamoDB Local. */
export class DynamoDbExecutionJournal extends DynamoDbTable implements ExecutionJournal {
  constructor(client: DynamoDBClient, table: string = LOCAL_EXECUTIONS_TABLE) {
    super(client, table);
  }

  async putDefinition(hash: string, stateMachine: StateMachineName, definition: string): Promise<void> {
    await this.documents.send(
      new PutCommand({
        TableName: this.tableName,
        Item: { pk: `definition#${hash}`, sk: 'definition', stateMachine, definition },
      }),
    );
  }

  async getDefinition(hash: string): Promise<string | undefined> {
    const { Item } = await this.documents.send(
      new GetCommand({ TableName: this.tableName, Key: { pk: `definition#${hash}`, sk: 'definition' } }),
    );
    return typeof Item?.['definition'] === 'string' ? Item['definition'] : undefined;
  }

  async create(record: ExecutionRecord, events: HistoryEvent[]): Promise<boolean> {
    try {
      await this.documents.send(
        new PutCommand({
          TableName: this.tableName,
          Item: { ...executionKey(record.executionArn), kind: 'execution', ...record },
          ConditionExpression: 'attribute_not_exists(pk)',
        }),
      );
    } catch (error) {
      if ((error as Error).name === 'ConditionalCheckFailedException') return false;
      throw error;
    }
    await this.writeEvents(record.executionArn, events);
    return true;
  }

  async save(record: ExecutionRecord, events: HistoryEvent[]): Promise<void> {
    const requests = [
      { PutRequest: { Item: { ...executionKey(record.executionArn), kind: 'execution', ...record } } },
      ...events.map((event) => ({ PutRequest: { Item: { ...eventKey(record.executionArn, event.id), event } } })),
    ];
    await this.batchWrite(requests);
  }

  async get(executionArn: string): Promise<ExecutionRecord | undefined> {
    const { Item } = await this.documents.send(
      new GetCommand({ TableName: this.tableName, Key: executionKey(executionArn), ConsistentRead: true }),
    );
    return Item ? this.recordOf(Item) : undefined;
  }

  async list(
    filter: { stateMachine?: StateMachineName; status?: ExecutionRecord['status'] } = {},
  ): Promise<ExecutionRecord[]> {
    const records: ExecutionRecord[] = [];
    const pages = paginateScan(
      { client: this.documents },
      {
        TableName: this.tableName,
        FilterExpression: 'kind = :execution',
        ExpressionAttributeValues: { ':execution': 'execution' },
        ConsistentRead: true,
      },
    );
    for await (const page of pages) {
      for (const item of page.Items ?? []) {
        const record = this.recordOf(item);
        if (matches(record, filter)) records.push(record);
      }
    }
    return records.sort((a, b) => b.startDate.localeCompare(a.startDate));
  }

  async history(executionArn: string): Promise<HistoryEvent[]> {
    const items = await this.queryAll({
      KeyConditionExpression: 'pk = :pk',
      ExpressionAttributeValues: { ':pk': `history#${executionArn}` },
      ConsistentRead: true,
    });
    return items.map((item) => item['event'] as HistoryEvent);
  }

  private recordOf(item: Record<string, unknown>): ExecutionRecord {
    const { pk: _pk, sk: _sk, kind: _kind, ...record } = item;
    return record as unknown as ExecutionRecord;
  }

  private async writeEvents(executionArn: string, events: HistoryEvent[]): Promise<void> {
    await this.batchWrite(
      events.map((event) => ({ PutRequest: { Item: { ...eventKey(executionArn, event.id), event } } })),
    );
  }

  /** BatchWriteItem takes 25 items at most and may hand some back unprocessed. */
  private async batchWrite(requests: { PutRequest: { Item: Record<string, unknown> } }[]): Promise<void> {
    for (let start = 0; start < requests.length; start += 25) {
      let pending: typeof requests | undefined = requests.slice(start, start + 25);
      for (let attempt = 0; pending && pending.length > 0; attempt += 1) {
        if (attempt > 0) await new Promise((resolve) => setTimeout(resolve, Math.min(1000, 20 * 2 ** attempt)));
        const result = await this.documents.send(
          new BatchWriteCommand({ RequestItems: { [this.tableName]: pending } }),
        );
        pending = result.UnprocessedItems?.[this.tableName] as typeof requests | undefined;
      }
    }
  }
}

/** The journal in memory: for an engine that need not survive its process (unit tests). */
export class MemoryExecutionJournal implements ExecutionJournal {
  private readonly definitions = new Map<string, string>();
  private readonly records = new Map<string, ExecutionRecord>();
  private readonly events = new Map<string, HistoryEvent[]>();

  putDefinition(hash: string, _stateMachine: StateMachineName, definition: string): Promise<void> {
    this.definitions.set(hash, definition);
    return Promise.resolve();
  }

  getDefinition(hash: string): Promise<string | undefined> {
    return Promise.resolve(this.definitions.get(hash));
  }

  create(record: ExecutionRecord, events: HistoryEvent[]): Promise<boolean> {
    if (this.records.has(record.executionArn)) return Promise.resolve(false);
    return this.save(record, events).then(() => true);
  }

  save(record: ExecutionRecord, events: HistoryEvent[]): Promise<void> {
    this.records.set(record.executionArn, structuredClone(record));
    this.events.set(record.executionArn, [...(this.events.get(record.executionArn) ?? []), ...structuredClone(events)]);
    return Promise.resolve();
  }

  get(executionArn: string): Promise<ExecutionRecord | undefined> {
    const record = this.records.get(executionArn);
    return Promise.resolve(record ? structuredClone(record) : undefined);
  }

  list(
    filter: { stateMachine?: StateMachineName; status?: ExecutionRecord['status'] } = {},
  ): Promise<ExecutionRecord[]> {
    return Promise.resolve(
      [...this.records.values()].filter((record) => matches(record, filter)).map((record) => structuredClone(record)),
    );
  }

  history(executionArn: string): Promise<HistoryEvent[]> {
    return Promise.resolve(structuredClone(this.events.get(executionArn) ?? []));
  }

  /** Forgets a definition, as if its file and its stored copy were gone (tests of the compensation). */
  forgetDefinition(hash: string): void {
    this.definitions.delete(hash);
  }
}
