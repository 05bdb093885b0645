/**
 * A pk/sk DynamoDB table whose items carry one sealed payload. Both the asset store and the key-share
 * store write through it, so "seal with the item's id as AAD, write only if absent" lives in one place.
 *
 * Write-once survives lost answers: the SDK retries a put whose answer was lost (a dropped connection,
 * a 5xx after the write), and the retry then fails its condition against the first attempt's item.
 * Every sealed blob is unique (a random salt and item key), so the item's `sealed` bytes tell this
 * write apart from anyone else's: the condition failure returns the item (ReturnValuesOnConditionCheckFailure,
 * which DynamoDB Local supports too), and a call that failed after such an attempt reads the item back.
 */
import { ConditionalCheckFailedException, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { watchAttempts } from './aws-calls.js';
import { StoreError } from './errors.js';
import type { Sealer } from './sealer.js';
import type { StorageMetrics } from './storage-metrics.js';
import { PARTITION_KEY, SORT_KEY } from './tables.js';

const SEALED = 'sealed';

export class SealedTable {
  readonly documents: DynamoDBDocumentClient;

  constructor(
    client: DynamoDBClient,
    readonly tableName: string,
    private readonly sealer: Sealer,
    readonly metrics?: StorageMetrics,
  ) {
    this.documents = DynamoDBDocumentClient.from(client);
  }

  /** The id bound into the ciphertext: a blob copied to another table, partition or key does not open. */
  itemId(partition: string, sortKey: string): string {
    return `${this.tableName}/${partition}/${sortKey}`;
  }

  /** Seals `payload` and writes the item unless the key exists; returns false when it did (and is not this write). */
  async putOnce(partition: string, sortKey: string, attributes: Record<string, unknown>, payload: Uint8Array): Promise<boolean> {
    const sealed = await this.sealer.seal(this.itemId(partition, sortKey), payload);
    const command = new PutCommand({
      TableName: this.tableName,
      Item: { ...attributes, [PARTITION_KEY]: partition, [SORT_KEY]: sortKey, [SEALED]: sealed },
      ConditionExpression: 'attribute_not_exists(#pk)',
      ExpressionAttributeNames: { '#pk': PARTITION_KEY },
      ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
    });
    const attempts = watchAttempts(command);
    try {
      await this.documents.send(command);
      return true;
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) {
        // The item in the way (the exception carries it unmarshalled: { B: bytes }).
        const existing = error.Item?.[SEALED]?.B;
        return existing !== undefined && sameBytes(existing, sealed) ? this.recovered() : false;
      }
      if (attempts.uncertain) {
        // No answer says whether an attempt wrote: read the item back (a failed read leaves the write failed).
        const stored = await this.storedSealed(partition, sortKey).catch(() => null);
        if (stored !== null && sameBytes(stored, sealed)) return this.recovered();
      }
      throw new StoreError(`put ${this.itemId(partition, sortKey)}`, 'DynamoDB write failed', { cause: error });
    }
  }

  /** The item's sealed bytes, or null when the table does not hold it (a consistent read). */
  async storedSealed(partition: string, sortKey: string): Promise<Uint8Array | null> {
    const result = await this.documents.send(
      new GetCommand({
        TableName: this.tableName,
        Key: { [PARTITION_KEY]: partition, [SORT_KEY]: sortKey },
        ProjectionExpression: '#sealed',
        ExpressionAttributeNames: { '#sealed': SEALED },
        ConsistentRead: true,
      }),
    );
    return (result.Item?.[SEALED] as Uint8Array | undefined) ?? null;
  }

  /** Opens the `sealed` attribute of an item read from this table. */
  open(partition: string, sortKey: string, item: Record<string, unknown>): Promise<Uint8Array> {
    return this.sealer.open(this.itemId(partition, sortKey), item[SEALED] as Uint8Array);
  }

  private recovered(): true {
    this.metrics?.writesRecovered.inc({ table: this.tableName });
    return true;
  }
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(b);
}
