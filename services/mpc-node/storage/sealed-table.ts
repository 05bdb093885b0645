/**
 * A pk/sk DynamoDB table whose items carry one sealed payload. Both the asset store and the key-share
 * store write through it, so "seal with the item's id as AAD, write only if absent" lives in one place.
 */
import { ConditionalCheckFailedException, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, PutCommand } from '@aws-sdk/lib-dynamodb';
import { StoreError } from './errors.js';
import type { Sealer } from './sealer.js';
import { PARTITION_KEY, SORT_KEY } from './tables.js';

export class SealedTable {
  readonly documents: DynamoDBDocumentClient;

  constructor(
    client: DynamoDBClient,
    readonly tableName: string,
    private readonly sealer: Sealer,
  ) {
    this.documents = DynamoDBDocumentClient.from(client);
  }

  /** The id bound into the ciphertext: a blob copied to another table, partition or key does not open. */
  itemId(partition: string, sortKey: string): string {
    return `${this.tableName}/${partition}/${sortKey}`;
  }

  /** Seals `payload` and writes the item unless the key exists; returns false when it did. */
  async putOnce(partition: string, sortKey: string, attributes: Record<string, unknown>, payload: Uint8Array): Promise<boolean> {
    const sealed = await this.sealer.seal(this.itemId(partition, sortKey), payload);
    try {
      await this.documents.send(
        new PutCommand({
          TableName: this.tableName,
          Item: { ...attributes, [PARTITION_KEY]: partition, [SORT_KEY]: sortKey, sealed },
          ConditionExpression: 'attribute_not_exists(#pk)',
          ExpressionAttributeNames: { '#pk': PARTITION_KEY },
        }),
      );
      return true;
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return false;
      throw new StoreError(`put ${this.itemId(partition, sortKey)}`, 'DynamoDB write failed', { cause: error });
    }
  }

  /** Opens the `sealed` attribute of an item read from this table. */
  open(partition: string, sortKey: string, item: Record<string, unknown>): Promise<Uint8Array> {
    return this.sealer.open(this.itemId(partition, sortKey), item.sealed as Uint8Array);
  }
}
