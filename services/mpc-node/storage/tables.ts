/**
 * Key schema of the node's DynamoDB tables: one definition used by the node, the devnet (which creates
 * the tables in DynamoDB Local) and the CDK stack (which creates them on AWS).
 */
import { CreateTableCommand, ResourceInUseException, type DynamoDBClient } from '@aws-sdk/client-dynamodb';

export const PARTITION_KEY = 'pk';
export const SORT_KEY = 'sk';

/** Tables with a string partition key `pk` and string sort key `sk`. */
export type NodeTableRole = 'keyShares' | 'triples' | 'presignatures';

export type NodeTableNames = Readonly<Record<NodeTableRole, string>>;

/** Creates a pk/sk table on demand-billing if it does not exist yet (devnet and tests). */
export async function ensurePartitionSortTable(client: DynamoDBClient, tableName: string): Promise<void> {
  try {
    await client.send(
      new CreateTableCommand({
        TableName: tableName,
        BillingMode: 'PAY_PER_REQUEST',
        AttributeDefinitions: [
          { AttributeName: PARTITION_KEY, AttributeType: 'S' },
          { AttributeName: SORT_KEY, AttributeType: 'S' },
        ],
        KeySchema: [
          { AttributeName: PARTITION_KEY, KeyType: 'HASH' },
          { AttributeName: SORT_KEY, KeyType: 'RANGE' },
        ],
      }),
    );
  } catch (error) {
    if (!(error instanceof ResourceInUseException)) throw error;
  }
}
