import {
  ConditionalCheckFailedException,
  TransactionCanceledException,
  type DynamoDBClient,
} from '@aws-sdk/client-dynamodb';
import {
  DeleteCommand,
  DynamoDBDocumentClient,
  TransactWriteCommand,
  paginateQuery,
  type QueryCommandInput,
  type QueryCommandOutput,
} from '@aws-sdk/lib-dynamodb';
import * as z from '../../zod.js';
import { deploymentEventSchema, type DeploymentEvent } from '../../domain/deployment.js';
import { ConcurrentUpdateError, NotFoundError, ValidationError } from '../../errors.js';

export const META = '#META';
export const MAX_UPDATE_ATTEMPTS = 8;
export const eventSortKey = (revision: number) => `EVENT#${String(revision).padStart(8, '0')}`;

// Only the table's and its indexes' key attributes, the table key always: anything else is a
// forged cursor, which DynamoDB would answer with a ValidationException (a 500).
const CURSOR_KEYS = ['pk', 'sk', 'gsi1pk', 'gsi1sk', 'gsi2pk', 'gsi2sk', 'gsi3pk', 'gsi3sk'];
const cursorSchema = z
  .record(z.string(), z.string().check(z.minLength(1), z.maxLength(1024)))
  .check(
    z.refine(
      (key) => 'pk' in key && 'sk' in key && Object.keys(key).every((name) => CURSOR_KEYS.includes(name)),
      'not a key of this table',
    ),
  );

export const encodeCursor = (key: Record<string, unknown> | undefined): string | null =>
  key ? Buffer.from(JSON.stringify(key)).toString('base64url') : null;

export function decodeCursor(cursor: string): Record<string, string> {
  try {
    return cursorSchema.parse(JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')));
  } catch (error) {
    throw new ValidationError(
      'The cursor is not one this API returned',
      [{ path: 'cursor', message: 'invalid cursor' }],
      { cause: error },
    );
  }
}

export const isConditionFailure = (error: unknown): boolean =>
  error instanceof ConditionalCheckFailedException ||
  (error instanceof TransactionCanceledException &&
    (error.CancellationReasons ?? []).some((reason) => reason.Code === 'ConditionalCheckFailed'));

/**
 * The expression values, names and FilterExpression for equality filters on top-level attributes
 * (status, environment, team); undefined filters are left out.
 */
export function withFilter(
  values: Record<string, unknown>,
  filters: Record<string, string | undefined>,
): Pick<QueryCommandInput, 'ExpressionAttributeValues' | 'ExpressionAttributeNames' | 'FilterExpression'> {
  const present = Object.entries(filters).filter((entry): entry is [string, string] => entry[1] !== undefined);
  if (present.length === 0) return { ExpressionAttributeValues: values };
  return {
    ExpressionAttributeValues: {
      ...values,
      ...Object.fromEntries(present.map(([name, value]) => [`:${name}`, value])),
    },
    // Names, because `status` is a DynamoDB reserved word.
    ExpressionAttributeNames: Object.fromEntries(present.map(([name]) => [`#${name}`, name])),
    FilterExpression: present.map(([name]) => `#${name} = :${name}`).join(' AND '),
  };
}

/** A query on the table the adapter owns; it starts at the first page, so it names no start key. */
export type TableQuery = Omit<QueryCommandInput, 'TableName' | 'ExclusiveStartKey'>;
export type TableItem = NonNullable<QueryCommandOutput['Items']>[number];

/** Shares one DocumentClient and table across the single-table adapters below. */
export abstract class DynamoDbTable {
  protected readonly documents: DynamoDBDocumentClient;

  constructor(
    client: DynamoDBClient,
    protected readonly tableName: string,
  ) {
    this.documents = DynamoDBDocumentClient.from(client, { marshallOptions: { removeUndefinedValues: true } });
  }

  /**
   * Writes `item` only if the stored revision is still `expectedRevision` (or, for a new item,
   * nothing is stored), together with `alongside` in one transaction. False when it lost a race.
   * An item alongside is put only where nothing is stored; a `{ Put }` or `{ Delete }` entry is
   * written as it is, with its own condition.
   */
  protected async putRevisioned(
    item: Record<string, unknown>,
    expectedRevision: number | undefined,
    alongside: Record<string, unknown>[] = [],
  ): Promise<boolean> {
    try {
      await this.documents.send(
        new TransactWriteCommand({
          TransactItems: [
            {
              Put: {
                TableName: this.tableName,
                Item: item,
                ...(expectedRevision === undefined
                  ? { ConditionExpression: 'attribute_not_exists(pk)' }
                  : {
                      ConditionExpression: 'revision = :expected',
                      ExpressionAttributeValues: { ':expected': expectedRevision },
                    }),
              },
            },
            ...alongside.map((other) =>
              'Put' in other || 'Delete' in other
                ? other
                : { Put: { TableName: this.tableName, Item: other, ConditionExpression: 'attribute_not_exists(pk)' } },
            ),
          ],
        }),
      );
      return true;
    } catch (error) {
      if (isConditionFailure(error)) return false;
      throw error;
    }
  }

  /**
   * Read, decide, write with a condition on the revision read; a lost race reads again. `write`
   * turns the decision into the next record (revision + 1) and the items written alongside it.
   */
  protected async updateRevisioned<Record_ extends { revision: number }, Change>(
    what: string,
    read: () => Promise<Record_ | undefined>,
    decide: (current: Record_) => Change | undefined,
    write: (
      current: Record_,
      change: Change,
    ) => { next: Record_; item: Record<string, unknown>; alongside: Record<string, unknown>[] },
  ): Promise<Record_> {
    for (let attempt = 0; attempt < MAX_UPDATE_ATTEMPTS; attempt += 1) {
      const current = await read();
      if (!current) throw new NotFoundError(`${what} does not exist`);
      const change = decide(current);
      if (!change) return current;
      const { next, item, alongside } = write(current, change);
      if (await this.putRevisioned(item, current.revision, alongside)) return next;
    }
    throw new ConcurrentUpdateError(`${what} kept changing; gave up after ${MAX_UPDATE_ATTEMPTS} attempts`);
  }

  /** Every page of `query`, in order, each read with the previous page's LastEvaluatedKey. */
  protected queryPages(query: TableQuery): AsyncIterable<QueryCommandOutput> {
    return paginateQuery({ client: this.documents }, { ...query, TableName: this.tableName });
  }

  /**
   * Every item `query` matches, from every page: DynamoDB stops a page at 1 MB (or at `Limit`),
   * so one call alone can leave items out.
   */
  protected async queryAll(query: TableQuery): Promise<TableItem[]> {
    const items: TableItem[] = [];
    for await (const page of this.queryPages(query)) items.push(...(page.Items ?? []));
    return items;
  }

  /** The audit trail stored under `pk` (its `EVENT#{revision}` items), oldest first, every page. */
  protected async auditTrail(pk: string): Promise<DeploymentEvent[]> {
    const items = await this.queryAll({
      KeyConditionExpression: 'pk = :pk AND begins_with(sk, :events)',
      ExpressionAttributeValues: { ':pk': pk, ':events': 'EVENT#' },
    });
    return items.map((item) => deploymentEventSchema.parse(item['data']));
  }

  /** Deletes the item only while `attribute` still holds `expected`; false when it did not. */
  protected async deleteIf(key: { pk: string; sk: string }, attribute: string, expected: string): Promise<boolean> {
    try {
      await this.documents.send(
        new DeleteCommand({
          TableName: this.tableName,
          Key: key,
          ConditionExpression: '#attribute = :expected',
          ExpressionAttributeNames: { '#attribute': attribute },
          ExpressionAttributeValues: { ':expected': expected },
        }),
      );
      return true;
    } catch (error) {
      if (isConditionFailure(error)) return false;
      throw error;
    }
  }
}
