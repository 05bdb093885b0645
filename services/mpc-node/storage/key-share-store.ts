/**
 * The node's key shares, one per (domain, epoch, attempt), sealed at rest (invariant 3). A key event
 * runs in attempts, and an attempt can produce a share here yet fail overall (another participant
 * aborted), so shares are kept per attempt: the share of a later attempt never replaces, and is never
 * confused with, an earlier one. A share is written once and never overwritten: a second write for the
 * same slot is refused, so a confused restart cannot replace a good share.
 *
 * Which share is *the* key of an epoch is the contract's call: its keyset names the public key and the
 * attempt that produced it, so readers look shares up by those (`getForKey`).
 */
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { GetCommand, paginateQuery, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { bytesToHex } from '@noble/hashes/utils.js';
import type { KeyShare } from '../../../shared/crypto/key-share.js';
import { decodeKeyShare, encodeKeyShare } from '../../../shared/crypto/keygen/index.js';
import { SealedTable } from './sealed-table.js';
import type { Sealer } from './sealer.js';
import type { StorageMetrics } from './storage-metrics.js';
import { PARTITION_KEY, SORT_KEY } from './tables.js';

export class KeyShareAlreadyStored extends Error {
  constructor(
    readonly domainId: number,
    readonly epochId: number,
    readonly attemptId: number,
  ) {
    super(`a key share for domain ${domainId}, epoch ${epochId}, attempt ${attemptId} is already stored`);
    this.name = 'KeyShareAlreadyStored';
  }
}

/** A stored share with the key event attempt that produced it. */
export interface StoredKeyShare {
  readonly epochId: number;
  readonly attemptId: number;
  readonly share: KeyShare;
}

const partitionOf = (domainId: number): string => `domain#${domainId}`;
/** Zero-padded so that the lexical order of sort keys is the numeric order of (epoch, attempt). */
const pad = (value: number): string => String(value).padStart(10, '0');
const epochPrefixOf = (epochId: number): string => `epoch#${pad(epochId)}#`;
const sortKeyOf = (epochId: number, attemptId: number): string => `${epochPrefixOf(epochId)}attempt#${pad(attemptId)}`;
const SORT_KEY_PATTERN = /^epoch#(\d{10})#attempt#(\d{10})$/;

export class DynamoKeyShareStore {
  private readonly table: SealedTable;

  /** @param metrics counts puts recognised as this store's own after a lost answer */
  constructor(client: DynamoDBClient, tableName: string, sealer: Sealer, metrics?: StorageMetrics) {
    this.table = new SealedTable(client, tableName, sealer, metrics);
  }

  /** Stores the share produced by attempt `attemptId` of the domain's key event in `epochId`; refuses a second write. */
  async put(domainId: number, epochId: number, attemptId: number, share: KeyShare): Promise<void> {
    // The public key is not secret; kept beside the sealed payload so lookups by key open only candidates.
    const attributes = { curve: share.curve, publicKey: bytesToHex(share.publicKey) };
    const stored = await this.table.putOnce(partitionOf(domainId), sortKeyOf(epochId, attemptId), attributes, encodeKeyShare(share));
    if (!stored) throw new KeyShareAlreadyStored(domainId, epochId, attemptId);
  }

  async get(domainId: number, epochId: number, attemptId: number): Promise<KeyShare | undefined> {
    const [partition, sortKey] = [partitionOf(domainId), sortKeyOf(epochId, attemptId)];
    const result = await this.table.documents.send(
      new GetCommand({ TableName: this.table.tableName, Key: { [PARTITION_KEY]: partition, [SORT_KEY]: sortKey }, ConsistentRead: true }),
    );
    if (result.Item === undefined) return undefined;
    return decodeKeyShare(await this.table.open(partition, sortKey, result.Item));
  }

  /**
   * The share of `domainId` in `epochId` whose group public key (compressed) is `publicKey`: from
   * `attemptId` when given (the contract's keyset names it), otherwise the newest attempt holding that key.
   * The key is checked on the opened share, not only on the plaintext attribute.
   */
  async getForKey(domainId: number, epochId: number, publicKey: Uint8Array, attemptId?: number): Promise<StoredKeyShare | undefined> {
    const wanted = bytesToHex(publicKey);
    if (attemptId !== undefined) {
      const share = await this.get(domainId, epochId, attemptId);
      return share !== undefined && bytesToHex(share.publicKey) === wanted ? { epochId, attemptId, share } : undefined;
    }
    const partition = partitionOf(domainId);
    const pages = paginateQuery(
      { client: this.table.documents },
      {
        TableName: this.table.tableName,
        KeyConditionExpression: '#pk = :partition AND begins_with(#sk, :epoch)',
        ExpressionAttributeNames: { '#pk': PARTITION_KEY, '#sk': SORT_KEY },
        ExpressionAttributeValues: { ':partition': partition, ':epoch': epochPrefixOf(epochId) },
        ScanIndexForward: false,
        ConsistentRead: true,
      },
    );
    for await (const page of pages) {
      for (const item of page.Items ?? []) {
        if (item.publicKey !== wanted) continue;
        const sortKey = item[SORT_KEY] as string;
        const share = decodeKeyShare(await this.table.open(partition, sortKey, item));
        if (bytesToHex(share.publicKey) === wanted) return { epochId, attemptId: parseSortKey(sortKey).attemptId, share };
      }
    }
    return undefined;
  }

  /** The share of the newest (epoch, attempt) stored for the domain. */
  async latest(domainId: number): Promise<StoredKeyShare | undefined> {
    const result = await this.table.documents.send(
      new QueryCommand({
        TableName: this.table.tableName,
        KeyConditionExpression: '#pk = :partition',
        ExpressionAttributeNames: { '#pk': PARTITION_KEY },
        ExpressionAttributeValues: { ':partition': partitionOf(domainId) },
        ScanIndexForward: false,
        Limit: 1,
        ConsistentRead: true,
      }),
    );
    const item = result.Items?.[0];
    if (item === undefined) return undefined;
    const sortKey = item[SORT_KEY] as string;
    return { ...parseSortKey(sortKey), share: decodeKeyShare(await this.table.open(partitionOf(domainId), sortKey, item)) };
  }
}

function parseSortKey(sortKey: string): { epochId: number; attemptId: number } {
  const match = SORT_KEY_PATTERN.exec(sortKey);
  if (match === null) throw new RangeError(`key share sort key ${JSON.stringify(sortKey)} is not epoch#<10 digits>#attempt#<10 digits>`);
  return { epochId: Number(match[1]), attemptId: Number(match[2]) };
}
