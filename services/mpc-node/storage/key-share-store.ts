/**
 * The node's key shares, one per (domain, epoch), sealed at rest (invariant 3). A share is written
 * once and never overwritten: a second write for the same domain and epoch is refused, so a
 * confused restart cannot replace a good share.
 */
import { ConditionalCheckFailedException, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand, PutCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import type { KeyShare } from '../../../shared/crypto/key-share.js';
import { decodeKeyShare, encodeKeyShare } from '../../../shared/crypto/keygen/index.js';
import { StoreError } from './errors.js';
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
  private readonly documents: DynamoDBDocumentClient;

  constructor(
    client: DynamoDBClient,
    private readonly tableName: string,
    private readonly sealer: Sealer,
  ) {
    this.documents = DynamoDBDocumentClient.from(client);
  }

  private itemId(domainId: number, epochId: number): string {
    return `${this.tableName}/${partitionOf(domainId)}/${sortKeyOf(epochId)}`;
  }

  async put(domainId: number, epochId: number, share: KeyShare): Promise<void> {
    const sealed = await this.sealer.seal(this.itemId(domainId, epochId), encodeKeyShare(share));
    try {
      await this.documents.send(
        new PutCommand({
          TableName: this.tableName,
          Item: { [PARTITION_KEY]: partitionOf(domainId), [SORT_KEY]: sortKeyOf(epochId), curve: share.curve, sealed },
          ConditionExpression: 'attribute_not_exists(#pk)',
          ExpressionAttributeNames: { '#pk': PARTITION_KEY },
        }),
      );
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) throw new KeyShareAlreadyStored(domainId, epochId);
      throw new StoreError(`put ${this.itemId(domainId, epochId)}`, 'DynamoDB write failed', { cause: error });
    }
  }

  async get(domainId: number, epochId: number): Promise<KeyShare | undefined> {
    const result = await this.documents.send(
      new GetCommand({ TableName: this.tableName, Key: { [PARTITION_KEY]: partitionOf(domainId), [SORT_KEY]: sortKeyOf(epochId) }, ConsistentRead: true }),
    );
    if (result.Item === undefined) return undefined;
    return decodeKeyShare(await this.sealer.open(this.itemId(domainId, epochId), result.Item.sealed as Uint8Array));
  }

  /** The share of the newest epoch stored for the domain, with its epoch. */
  async latest(domainId: number): Promise<{ epochId: number; share: KeyShare } | undefined> {
    const result = await this.documents.send(
      new QueryCommand({
        TableName: this.tableName,
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
    const epochId = Number((item[SORT_KEY] as string).slice('epoch#'.length));
    return { epochId, share: decodeKeyShare(await this.sealer.open(this.itemId(domainId, epochId), item.sealed as Uint8Array)) };
  }
}
