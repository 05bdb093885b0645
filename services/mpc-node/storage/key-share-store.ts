/**
 * The node's key shares, one per (domain, epoch), sealed at rest (invariant 3). A share is written
 * once and never overwritten: a second write for the same domain and epoch is refused, so a
 * confused restart cannot replace a good share.
 */
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { GetCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import type { KeyShare } from '../../../shared/crypto/key-share.js';
import { decodeKeyShare, encodeKeyShare } from '../../../shared/crypto/keygen/index.js';
import { SealedTable } from './sealed-table.js';
import type { Sealer } from './sealer.js';
import { PARTITION_KEY, SORT_KEY } from './tables.js';

export class KeyShareAlreadyStored extends Error {
  constructor(
    readonly domainId: number,
    readonly epochId: number,
  ) {
    super(`a key share for domain ${domainId}, epoch ${epochId} is already stored`);
    this.name = 'KeyShareAlreadyStored';
  }
}

const partitionOf = (domainId: number): string => `domain#${domainId}`;
/** Zero-padded so that the lexical order of sort keys is the numeric order of epochs. */
const sortKeyOf = (epochId: number): string => `epoch#${String(epochId).padStart(10, '0')}`;

export class DynamoKeyShareStore {
  private readonly table: SealedTable;

  constructor(client: DynamoDBClient, tableName: string, sealer: Sealer) {
    this.table = new SealedTable(client, tableName, sealer);
  }

  async put(domainId: number, epochId: number, share: KeyShare): Promise<void> {
    const stored = await this.table.putOnce(partitionOf(domainId), sortKeyOf(epochId), { curve: share.curve }, encodeKeyShare(share));
    if (!stored) throw new KeyShareAlreadyStored(domainId, epochId);
  }

  async get(domainId: number, epochId: number): Promise<KeyShare | undefined> {
    const [partition, sortKey] = [partitionOf(domainId), sortKeyOf(epochId)];
    const result = await this.table.documents.send(
      new GetCommand({ TableName: this.table.tableName, Key: { [PARTITION_KEY]: partition, [SORT_KEY]: sortKey }, ConsistentRead: true }),
    );
    if (result.Item === undefined) return undefined;
    return decodeKeyShare(await this.table.open(partition, sortKey, result.Item));
  }

  /** The share of the newest epoch stored for the domain, with its epoch. */
  async latest(domainId: number): Promise<{ epochId: number; share: KeyShare } | undefined> {
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
    return { epochId: Number(sortKey.slice('epoch#'.length)), share: decodeKeyShare(await this.table.open(partitionOf(domainId), sortKey, item)) };
  }
}
