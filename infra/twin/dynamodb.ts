import { request as httpRequest } from 'node:http';
import {
  CreateTableCommand,
  DescribeTableCommand,
  ResourceNotFoundException,
  UpdateTimeToLiveCommand,
  type CreateTableCommandInput,
  type DynamoDBClient,
} from '@aws-sdk/client-dynamodb';
import { resourcesOfType, type StackResolver } from './assembly.js';
import {
  authorizeCall,
  AwsServiceError,
  listen,
  readBody,
  sendJson,
  type AuthorizeOptions,
  type Principals,
  type RunningEndpoint,
} from './aws-endpoint.js';

const TABLE_TYPES = ['AWS::DynamoDB::Table', 'AWS::DynamoDB::GlobalTable'];

export interface TwinTable {
  logicalId: string;
  name: string;
  arn: string;
}

/**
 * Creates every table of the templates in DynamoDB Local, as CloudFormation would: key schema,
 * attribute definitions, global secondary indexes and TTL. Existing tables are kept.
 */
export async function createTemplateTables(client: DynamoDBClient, resolvers: StackResolver[]): Promise<TwinTable[]> {
  const tables: TwinTable[] = [];
  for (const resolver of resolvers) {
    for (const type of TABLE_TYPES) {
      for (const [logicalId, resource] of resourcesOfType(resolver.stack, type)) {
        const properties = resolver.resolve(resource.Properties ?? {}, logicalId) as Record<string, unknown>;
        const name = resolver.ref(logicalId);
        tables.push({ logicalId, name, arn: resolver.arn(logicalId) });
        try {
          await client.send(new DescribeTableCommand({ TableName: name }));
          continue;
        } catch (error) {
          if (!(error instanceof ResourceNotFoundException)) throw error;
        }
        const indexes = (properties['GlobalSecondaryIndexes'] ?? []) as {
          IndexName: string;
          KeySchema: unknown;
          Projection: unknown;
        }[];
        const input = {
          TableName: name,
          BillingMode: 'PAY_PER_REQUEST',
          AttributeDefinitions: properties['AttributeDefinitions'],
          KeySchema: properties['KeySchema'],
          ...(indexes.length > 0
            ? {
                GlobalSecondaryIndexes: indexes.map(({ IndexName, KeySchema, Projection }) => ({
                  IndexName,
                  KeySchema,
                  Projection,
                })),
              }
            : {}),
        } as CreateTableCommandInput;
        await client.send(new CreateTableCommand(input));
        const ttl = properties['TimeToLiveSpecification'] as { AttributeName?: string; Enabled?: boolean } | undefined;
        if (ttl?.Enabled && ttl.AttributeName) {
          await client.send(
            new UpdateTimeToLiveCommand({
              TableName: name,
              TimeToLiveSpecification: { AttributeName: ttl.AttributeName, Enabled: true },
            }),
          );
        }
      }
    }
  }
  return tables;
}

type Input = Record<string, unknown>;
const tableOf = (input: Input) => (typeof input['TableName'] === 'string' ? input['TableName'] : '');

/** The IAM action and resource(s) a DynamoDB request needs, per the service authorization reference. */
function requiredPermissions(
  operation: string,
  input: Input,
  arnOf: (table: string) => string,
): { action: string; resource: string }[] {
  const on = (action: string, table: string, index?: unknown) => ({
    action: `dynamodb:${action}`,
    resource: typeof index === 'string' ? `${arnOf(table)}/index/${index}` : arnOf(table),
  });
  switch (operation) {
    case 'BatchGetItem':
    case 'BatchWriteItem':
      return Object.keys((input['RequestItems'] ?? {}) as Input).map((table) => on(operation, table));
    case 'TransactWriteItems':
    case 'TransactGetItems':
      return ((input['TransactItems'] ?? []) as Input[]).flatMap((item) => {
        const [kind, body] = (Object.entries(item) as [string, Input][])[0] ?? ['', {}];
        const actions: Record<string, string | undefined> = {
          Put: 'PutItem',
          Update: 'UpdateItem',
          Delete: 'DeleteItem',
          ConditionCheck: 'ConditionCheckItem',
          Get: 'GetItem',
        };
        return [on(actions[kind] ?? kind, tableOf(body))];
      });
    case 'ListTables':
      return [{ action: 'dynamodb:ListTables', resource: '*' }];
    case 'Query':
    case 'Scan':
      return [on(operation, tableOf(input), input['IndexName'])];
    default:
      return [on(operation, tableOf(input))];
  }
}

/**
 * DynamoDB for the functions: DynamoDB Local behind a proxy that authorizes every request
 * against the caller's role (actions per table and index, each item of a transaction) before
 * passing the bytes on unchanged.
 */
export function startDynamoDbEndpoint(
  options: AuthorizeOptions & { principals: Principals; dynamoDbLocal: string; account: string; region: string },
): Promise<RunningEndpoint> {
  const target = new URL(options.dynamoDbLocal);
  const arnOf = (table: string) =>
    table.startsWith('arn:') ? table : `arn:aws:dynamodb:${options.region}:${options.account}:table/${table}`;
  return listen(async (request, response) => {
    const body = await readBody(request);
    const operation = String(request.headers['x-amz-target'] ?? '').split('.')[1] ?? '';
    try {
      const caller = options.principals.fromRequest(request);
      if (!caller)
        throw new AwsServiceError(
          'UnrecognizedClientException',
          'The security token included in the request is invalid.',
        );
      const input = body.length > 0 ? (JSON.parse(body.toString('utf8')) as Input) : {};
      for (const { action, resource } of requiredPermissions(operation, input, arnOf))
        await authorizeCall(options, caller, action, resource);
    } catch (error) {
      const serviceError =
        error instanceof AwsServiceError
          ? error
          : new AwsServiceError('InternalFailure', (error as Error).message, 500);
      response.setHeader('x-amzn-errortype', serviceError.type);
      sendJson(response, serviceError.status, 'application/x-amz-json-1.0', {
        __type: `com.amazonaws.dynamodb.v20120810#${serviceError.type}`,
        message: serviceError.message,
      });
      return;
    }
    await new Promise<void>((resolve, reject) => {
      const upstream = httpRequest(
        {
          host: target.hostname,
          port: target.port,
          method: request.method,
          path: request.url,
          headers: { ...request.headers, host: target.host, 'content-length': body.length },
        },
        (reply) => {
          response.writeHead(reply.statusCode ?? 500, reply.headers);
          reply.pipe(response);
          reply.on('end', resolve);
          reply.on('error', reject);
        },
      );
      upstream.on('error', reject);
      upstream.end(body);
    });
  });
}
