/**
 * Single-use secret assets (Beaver triples, presignatures, FROST nonce pre-commitments), security
 * invariant 2: an asset is taken by a conditional delete that only one caller can win, before any share
 * derived from it leaves the node. A crash after the take loses the asset (safe) and never reuses it.
 * Payloads are sealed with the item's id as AAD (invariant 3); this store never writes plaintext.
 */
import { ConditionalCheckFailedException, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DeleteCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { StoreError } from './errors.js';
import { SealedTable } from './sealed-table.js';
import type { Sealer } from './sealer.js';
import { PARTITION_KEY, SORT_KEY } from './tables.js';

export interface Asset {
  /** Groups assets that can stand in for each other, e.g. `owner#3` or `domain#0#owner#3`. */
  readonly partition: string;
  /** Unique id, agreed with the peers holding the other shares of the same asset. */
  readonly id: string;
  /** The participants who hold shares of this asset, ascending. */
  readonly participants: readonly number[];
  /** The encoded share (plaintext in memory only). */
  readonly payload: Uint8Array;
}

export interface AssetStore {
  /** Stores a new asset; throws {@link AssetAlreadyStored} if the id exists in the partition. */
  put(asset: Asset): Promise<void>;
  /** Atomically removes and returns any one asset of the partition, or undefined when it is empty. */
  takeAny(partition: string): Promise<Asset | undefined>;
  /** Atomically removes and returns this asset, or undefined if it is not here (never had, or already used). */
  take(partition: string, id: string): Promise<Asset | undefined>;
  /** How many assets the partition holds (the stockpile level). */
  count(partition: string): Promise<number>;
}

export class AssetAlreadyStored extends Error {
  constructor(
    readonly partition: string,
    readonly id: string,
  ) {
    super(`asset ${id} already stored in ${partition}`);
    this.name = 'AssetAlreadyStored';
  }
}

/** Candidates read per query in `takeAny`; concurrent takers race for them and losers move on. */
const TAKE_CANDIDATES = 8;
const TAKE_ROUNDS = 4;

export class DynamoAssetStore implements AssetStore {
  private readonly table: SealedTable;

  constructor(client: DynamoDBClient, tableName: string, sealer: Sealer) {
    this.table = new SealedTable(client, tableName, sealer);
  }

  async put(asset: Asset): Promise<void> {
    const stored = await this.table.putOnce(asset.partition, asset.id, { participants: [...asset.participants] }, asset.payload);
    if (!stored) throw new AssetAlreadyStored(asset.partition, asset.id);
  }

  async take(partition: string, id: string): Promise<Asset | undefined> {
    let removed: Record<string, unknown> | undefined;
    try {
      const result = await this.table.documents.send(
        new DeleteCommand({
          TableName: this.table.tableName,
          Key: { [PARTITION_KEY]: partition, [SORT_KEY]: id },
          ConditionExpression: 'attribute_exists(#pk)',
          ExpressionAttributeNames: { '#pk': PARTITION_KEY },
          ReturnValues: 'ALL_OLD',
        }),
      );
      removed = result.Attributes;
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return undefined;
      throw new StoreError(`take ${this.table.itemId(partition, id)}`, 'DynamoDB delete failed', { cause: error });
    }
    if (removed === undefined) return undefined;
    const payload = await this.table.open(partition, id, removed);
    return { partition, id, participants: (removed.participants as number[]).map(Number), payload };
  }

  async takeAny(partition: string): Promise<Asset | undefined> {
    for (let round = 0; round < TAKE_ROUNDS; round += 1) {
      const candidates = await this.table.documents.send(
        new QueryCommand({
          TableName: this.table.tableName,
          KeyConditionExpression: '#pk = :partition',
          ExpressionAttributeNames: { '#pk': PARTITION_KEY, '#sk': SORT_KEY },
          ExpressionAttributeValues: { ':partition': partition },
          ProjectionExpression: '#sk',
          Limit: TAKE_CANDIDATES,
          ConsistentRead: true,
        }),
      );
      const ids = (candidates.Items ?? []).map((item) => item[SORT_KEY] as string);
      if (ids.length === 0) return undefined;
      for (const id of ids) {
        const taken = await this.take(partition, id);
        if (taken !== undefined) return taken;
      }
    }
    // Every candidate went to a concurrent taker in every round; the caller retries later.
    return undefined;
  }

  async count(partition: string): Promise<number> {
    let total = 0;
    let startKey: Record<string, unknown> | undefined;
    do {
      const page = await this.table.documents.send(
        new QueryCommand({
          TableName: this.table.tableName,
          KeyConditionExpression: '#pk = :partition',
          ExpressionAttributeNames: { '#pk': PARTITION_KEY },
          ExpressionAttributeValues: { ':partition': partition },
          Select: 'COUNT',
          ExclusiveStartKey: startKey,
        }),
      );
      total += page.Count ?? 0;
      startKey = page.LastEvaluatedKey;
    } while (startKey !== undefined);
    return total;
  }
}
