import { ConditionalCheckFailedException, CreateTableCommand, DynamoDBClient, TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand, PutCommand, TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import { randomUUID } from 'node:crypto';
import { localAwsFromEnvironment } from '../../support/local-aws.js';

// Runs against Amazon's DynamoDB Local started by the global setup; no emulator, no pass.
describe('DynamoDB Local smoke', () => {
  const local = localAwsFromEnvironment();
  const client = new DynamoDBClient({ region: local.region, endpoint: local.dynamodb });
  const documents = DynamoDBDocumentClient.from(client);
  const tableName = `smoke-${randomUUID()}`;

  beforeAll(async () => {
    await client.send(
      new CreateTableCommand({
        TableName: tableName,
        BillingMode: 'PAY_PER_REQUEST',
        AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }],
        KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
      }),
    );
  });

  afterAll(() => client.destroy());

  it('rejects a duplicate conditional put and keeps the first item', async () => {
    const put = (value: string) =>
      documents.send(
        new PutCommand({ TableName: tableName, Item: { pk: 'request-1', value }, ConditionExpression: 'attribute_not_exists(pk)' }),
      );
    await put('first');
    await expect(put('second')).rejects.toBeInstanceOf(ConditionalCheckFailedException);
    const stored = await documents.send(new GetCommand({ TableName: tableName, Key: { pk: 'request-1' }, ConsistentRead: true }));
    expect(stored.Item).toEqual({ pk: 'request-1', value: 'first' });
  });

  it('rolls a TransactWriteItems back whole when one condition fails', async () => {
    await documents.send(new PutCommand({ TableName: tableName, Item: { pk: 'asset-taken', owner: 'node-1' } }));
    const transaction = documents.send(
      new TransactWriteCommand({
        TransactItems: [
          { Put: { TableName: tableName, Item: { pk: 'asset-new-a' } } },
          { Put: { TableName: tableName, Item: { pk: 'asset-new-b' } } },
          { ConditionCheck: { TableName: tableName, Key: { pk: 'asset-taken' }, ConditionExpression: 'attribute_not_exists(pk)' } },
        ],
      }),
    );
    const error = await transaction.catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(TransactionCanceledException);
    const reasons = (error as TransactionCanceledException).CancellationReasons?.map((reason) => reason.Code);
    expect(reasons).toEqual(['None', 'None', 'ConditionalCheckFailed']);
    for (const pk of ['asset-new-a', 'asset-new-b']) {
      const item = await documents.send(new GetCommand({ TableName: tableName, Key: { pk }, ConsistentRead: true }));
      expect(item.Item).toBeUndefined();
    }
  });
});
