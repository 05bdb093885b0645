/**
 * Single-use secret assets (Beaver triples, presignatures, FROST nonce pre-commitments), security
 * invariant 2: an asset is taken by a conditional delete that only one caller can win, before any share
 * derived from it leaves the node. A crash after the take loses the asset (safe) and never reuses it.
 * Payloads are sealed with the item's id as AAD (invariant 3); this store never writes plaintext.
 *
 * A take whose answer is lost (the delete applied, then the connection dropped or a 5xx came back) is
 * retried by the SDK and finds the item gone: the asset, and the only copy of its payload, are gone with
 * the answer. That cannot break single use (nobody holds the payload), so the take reports the asset as
 * not here and counts it in `storage_assets_lost_total`. A put retried after a lost answer recognises
 * its own item (./sealed-table.ts).
 */
import { ConditionalCheckFailedException, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DeleteCommand, paginateQuery, paginateScan, QueryCommand, type QueryCommandInput } from '@aws-sdk/lib-dynamodb';
import { setBounded } from '../bounded-map.js';
import { watchAttempts } from './aws-calls.js';
import { StoreError } from './errors.js';
import { SealedTable } from './sealed-table.js';
import type { Sealer } from './sealer.js';
import type { StorageMetrics } from './storage-metrics.js';
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
  /** Deletes every asset of the partition (none of them may ever be used); returns how many it deleted. */
  discard(partition: string): Promise<number>;
  /** Every partition holding at least one asset (reads the whole table: for rare sweeps, not the signing path). */
  partitions(): Promise<string[]>;
  /** Ids of the partition's assets stored before `cutoffMs` (ms since the epoch), or stored with no time. */
  idsStoredBefore(partition: string, cutoffMs: number): Promise<string[]>;
  /** Which of `ids` the partition does not hold and this process did not take in the last `takenWithinMs`. */
  unknownIds(partition: string, ids: readonly string[], takenWithinMs: number): Promise<string[]>;
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

/** Ids read per query in `takeAny`; the ones not taken at once wait in memory for the next takers. */
const TAKE_CANDIDATES = 16;
/** Queries one `takeAny` may make before it gives up (every id it found went to another taker). */
const TAKE_ROUNDS = 4;
/** Ids read, and deleted in parallel, per round of `discard`. */
const DISCARD_PAGE = 25;
/** Takes remembered for `unknownIds` (ids this process took lately); the oldest go first beyond this. */
const REMEMBERED_TAKES = 50_000;
/** The item attribute holding when it was stored (ms since the epoch). */
const STORED_AT = 'storedAt';

export interface DynamoAssetStoreOptions {
  /** Milliseconds since the epoch (tests move it). */
  readonly now?: () => number;
  /** Counts assets lost with an answer, and puts recognised as this store's own. */
  readonly metrics?: StorageMetrics;
}

export class DynamoAssetStore implements AssetStore {
  private readonly table: SealedTable;
  /**
   * Per partition, ids a query returned that no taker of this process has tried yet. Each goes to one
   * taker, so the node's concurrent takers do not race each other for the same items, and most takes
   * need no query. An id may be gone meanwhile (another process of the node took it): its conditional
   * delete fails and the taker moves on.
   */
  private readonly untried = new Map<string, string[]>();
  /** `partition ‖ id` of the deletes this process has under way: a query may still return them. */
  private readonly deleting = new Set<string>();
  /** `partition ‖ id` → when this process took it (insertion order is time order). */
  private readonly taken = new Map<string, number>();
  private readonly now: () => number;

  constructor(client: DynamoDBClient, tableName: string, sealer: Sealer, options: DynamoAssetStoreOptions = {}) {
    this.table = new SealedTable(client, tableName, sealer, options.metrics);
    this.now = options.now ?? Date.now;
  }

  async put(asset: Asset): Promise<void> {
    const stored = await this.table.putOnce(asset.partition, asset.id, { participants: [...asset.participants], [STORED_AT]: this.now() }, asset.payload);
    if (!stored) throw new AssetAlreadyStored(asset.partition, asset.id);
  }

  async take(partition: string, id: string): Promise<Asset | undefined> {
    const removed = await this.deleteExisting('take', partition, id);
    if (removed === undefined) return undefined;
    setBounded(this.taken, `${partition}\u0000${id}`, this.now(), REMEMBERED_TAKES);
    const payload = await this.table.open(partition, id, removed);
    return { partition, id, participants: (removed.participants as number[]).map(Number), payload };
  }

  /**
   * The conditional delete only one caller can win: the item's attributes, or undefined if it is not
   * there (never was, another caller took it, or this call took it and the answer was lost).
   */
  private async deleteExisting(operation: string, partition: string, id: string): Promise<Record<string, unknown> | undefined> {
    const command = new DeleteCommand({
      TableName: this.table.tableName,
      Key: { [PARTITION_KEY]: partition, [SORT_KEY]: id },
      ConditionExpression: 'attribute_exists(#pk)',
      ExpressionAttributeNames: { '#pk': PARTITION_KEY },
      ReturnValues: 'ALL_OLD',
    });
    const attempts = watchAttempts(command);
    try {
      return (await this.table.documents.send(command)).Attributes;
    } catch (error) {
      const gone = error instanceof ConditionalCheckFailedException || (attempts.uncertain && (await this.table.storedSealed(partition, id).catch(() => undefined)) === null);
      if (!gone) throw new StoreError(`${operation} ${this.table.itemId(partition, id)}`, 'DynamoDB delete failed', { cause: error });
      // After an attempt that may have applied unseen, the item is most likely gone by this call's own
      // delete (another process of the node taking the same id at that moment is the exception).
      if (attempts.uncertain) this.table.metrics?.assetsLost.inc({ table: this.table.tableName, operation });
      return undefined;
    }
  }

  async takeAny(partition: string): Promise<Asset | undefined> {
    for (let queries = 0; ; ) {
      const id = this.untried.get(partition)?.shift();
      if (id === undefined) {
        // Every id read so far went to a taker, and every one this taker tried was gone.
        if (queries === TAKE_ROUNDS) return undefined;
        queries += 1;
        if (!(await this.readCandidates(partition))) return undefined;
        continue;
      }
      const key = `${partition}\u0000${id}`;
      this.deleting.add(key);
      try {
        const taken = await this.take(partition, id);
        if (taken !== undefined) return taken;
      } finally {
        this.deleting.delete(key);
      }
    }
  }

  /**
   * Queues up to TAKE_CANDIDATES ids of the partition that this process is neither deleting nor holding
   * untried (those are about to go, so the query reads that many more). False when there are none.
   */
  private async readCandidates(partition: string): Promise<boolean> {
    const ids = await this.firstIds(partition, TAKE_CANDIDATES + this.knownIds(partition).size);
    // Known again after the query: a concurrent taker may have queued or started deleting some meanwhile.
    const known = this.knownIds(partition);
    const fresh = ids.filter((id) => !known.has(id));
    const untried = this.untried.get(partition) ?? [];
    untried.push(...fresh);
    this.untried.set(partition, untried);
    return untried.length > 0;
  }

  /** Ids of the partition this process holds untried or is deleting. */
  private knownIds(partition: string): Set<string> {
    const known = new Set(this.untried.get(partition));
    for (const key of this.deleting) if (key.startsWith(`${partition}\u0000`)) known.add(key.slice(partition.length + 1));
    return known;
  }

  /** Up to `limit` ids of the partition, read consistently. */
  private async firstIds(partition: string, limit: number): Promise<string[]> {
    const page = await this.table.documents.send(new QueryCommand({ ...this.idsQuery(partition), Limit: limit }));
    return (page.Items ?? []).map((item) => item[SORT_KEY] as string);
  }

  /** Every item of the partition with its id and storing time (read consistently, page by page). */
  private async listIds(partition: string): Promise<{ readonly id: string; readonly storedAt: number | undefined }[]> {
    const items: { id: string; storedAt: number | undefined }[] = [];
    for await (const page of paginateQuery({ client: this.table.documents }, this.idsQuery(partition))) {
      for (const item of page.Items ?? []) items.push({ id: item[SORT_KEY] as string, storedAt: typeof item[STORED_AT] === 'number' ? item[STORED_AT] : undefined });
    }
    return items;
  }

  private idsQuery(partition: string): QueryCommandInput {
    return {
      TableName: this.table.tableName,
      KeyConditionExpression: '#pk = :partition',
      ExpressionAttributeNames: { '#pk': PARTITION_KEY, '#sk': SORT_KEY, '#storedAt': STORED_AT },
      ExpressionAttributeValues: { ':partition': partition },
      ProjectionExpression: '#sk, #storedAt',
      ConsistentRead: true,
    };
  }

  async idsStoredBefore(partition: string, cutoffMs: number): Promise<string[]> {
    return (await this.listIds(partition)).filter(({ storedAt }) => storedAt === undefined || storedAt < cutoffMs).map(({ id }) => id);
  }

  async unknownIds(partition: string, ids: readonly string[], takenWithinMs: number): Promise<string[]> {
    const held = new Set((await this.listIds(partition)).map(({ id }) => id));
    const since = this.now() - takenWithinMs;
    return ids.filter((id) => !held.has(id) && !((this.taken.get(`${partition}\u0000${id}`) ?? -Infinity) >= since));
  }

  async discard(partition: string): Promise<number> {
    let discarded = 0;
    for (;;) {
      const ids = await this.firstIds(partition, DISCARD_PAGE);
      if (ids.length === 0) return discarded;
      // An asset another caller took meanwhile is not counted.
      const removed = await Promise.all(ids.map((id) => this.deleteExisting('discard', partition, id)));
      discarded += removed.filter((item) => item !== undefined).length;
    }
  }

  async partitions(): Promise<string[]> {
    const found = new Set<string>();
    const pages = paginateScan(
      { client: this.table.documents },
      { TableName: this.table.tableName, ExpressionAttributeNames: { '#pk': PARTITION_KEY }, ProjectionExpression: '#pk', ConsistentRead: true },
    );
    for await (const page of pages) for (const item of page.Items ?? []) found.add(item[PARTITION_KEY] as string);
    return [...found];
  }

  async count(partition: string): Promise<number> {
    let total = 0;
    const pages = paginateQuery(
      { client: this.table.documents },
      {
        TableName: this.table.tableName,
        KeyConditionExpression: '#pk = :partition',
        ExpressionAttributeNames: { '#pk': PARTITION_KEY },
        ExpressionAttributeValues: { ':partition': partition },
        Select: 'COUNT',
      },
    );
    for await (const page of pages) total += page.Count ?? 0;
    return total;
  }
}
