/**
 * The lake indexer's work for one lake-events message: read the Lake file an S3 notification names,
 * find the sign activity for the MPC contract, record it, and hand new requests to the nodes.
 *
 * Exactly-once towards the nodes, per request (./request-ledger.ts):
 *  1. record the request in the requests table, conditional on it not being there, and claim its
 *     sending; a redelivery or replay gets the stored item back instead and stops if the request was
 *     enqueued or closed, or retries later if another delivery holds the claim right now;
 *  2. send it to the FIFO queue with the request id as deduplication id;
 *  3. mark it `enqueued` (and drop the claim).
 * A lake-events message is deleted only once each request in it is enqueued or closed. A send that
 * fails releases the claim and fails the message, so its retry sends (nothing lost). A crash
 * between 2 and 3 makes the retry send again; SQS drops that copy inside its 5-minute
 * deduplication window, which the retry (claim ~20 s, visibility timeout) falls in. Past that
 * window a second copy can reach the nodes; they key their work by request id and check the
 * contract for the pending request before signing, so a copy costs a lookup, never a signature.
 *
 * Not Powertools Idempotency (decision 0013): step 1 must also see a completion indexed before its
 * request, which a cache of one function's results cannot express.
 */
import type { Logger } from '@aws-lambda-powertools/logger';
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { BLOCK_HEADER_METADATA, LakeParseError, parseBlockHeaderMetadata, parseLakeBlock, parseLakeShard, type ParsedBlock } from '../../shared/near/lake-parser.js';
import {
  attachBlock,
  encodeSignRequest,
  extractSignActivity,
  type ShardSignActivity,
  type SignCompletion,
  type SignRequest,
} from '../../shared/near/sign-request.js';
import { LakeObjectMissing, type LakeObjectSource } from './lake-bucket.js';
import type { RequestLedger } from './request-ledger.js';
import { S3NotificationError, blockKeyOf, classifyLakeKey, parseLakeEventsMessage, type LakeObjectRef } from './s3-notifications.js';
import type { SignRequestQueue } from './sign-request-queue.js';

export type IndexerMetricUnit = (typeof MetricUnit)[keyof typeof MetricUnit];
/** The part of Powertools' Metrics the indexer uses (tests record instead of emitting EMF). */
export interface IndexerMetrics {
  addMetric(name: string, unit: IndexerMetricUnit, value: number): unknown;
}
export type IndexerLogger = Pick<Logger, 'debug' | 'info' | 'warn' | 'error'>;

/** CloudWatch metric names (namespace and service come from the handler's Metrics). */
export const IndexerMetric = {
  ShardsProcessed: 'ShardsProcessed',
  BlocksProcessed: 'BlocksProcessed',
  /**
   * Seconds between a block's timestamp and its header being indexed (its block.json, or the header the
   * public-lake follower attaches to the shard it copies): how far behind the chain head the indexer runs.
   */
  BlockLagSeconds: 'BlockLagSeconds',
  SignRequestsFound: 'SignRequestsFound',
  SignRequestsEnqueued: 'SignRequestsEnqueued',
  /** Found again (redelivery, replay) after an earlier run had already enqueued or closed it. */
  SignRequestsAlreadyHandled: 'SignRequestsAlreadyHandled',
  SignCompletions: 'SignCompletions',
  SignResponds: 'SignResponds',
  UnreadableSignCalls: 'UnreadableSignCalls',
  LakeParseFailures: 'LakeParseFailures',
  InvalidNotifications: 'InvalidNotifications',
  IgnoredObjects: 'IgnoredObjects',
} as const;

/** Shard bytes → sign activity: the CPU path of the indexer (and of its benchmark). */
export function readShardActivity(bytes: Uint8Array | string, source: string, contractId: string, maxBytes: number): ShardSignActivity {
  return extractSignActivity(parseLakeShard(bytes, { source, maxBytes }), contractId);
}

export interface LakeIndexerOptions {
  readonly contractId: string;
  readonly maxObjectBytes: number;
  readonly lake: LakeObjectSource;
  readonly ledger: RequestLedger;
  readonly queue: SignRequestQueue;
  readonly metrics: IndexerMetrics;
  readonly logger: IndexerLogger;
  /** Milliseconds since the Unix epoch (for the lag metric). */
  readonly now?: () => number;
  /** How the indexer waits for a block.json that is not written yet (tests make it deterministic). */
  readonly sleep?: (ms: number) => Promise<void>;
}

/** Another delivery of the same request is sending it now; this one is retried and then finds it enqueued. */
export class SignRequestSendInProgress extends Error {
  constructor(readonly requestId: string) {
    super(`sign request ${requestId} is being sent by another delivery; retry later`);
    this.name = 'SignRequestSendInProgress';
  }
}

/** Blocks are immutable, so a block read for one shard serves its sibling shards in later records too. */
const BLOCK_CACHE_SIZE = 64;

/**
 * Lake writers put `block.json` after the block's shards (it marks the folder complete), so a shard's
 * notification usually arrives before its block.json exists. Waiting up to ~3 s here, instead of
 * failing the message, keeps a sign request from waiting a whole visibility timeout (minutes, close to
 * the request's on-chain lifetime) for a file that lands milliseconds later.
 */
export const BLOCK_WAIT_SCHEDULE_MS: readonly number[] = [50, 100, 200, 400, 800, 1600];

function s3Url(object: LakeObjectRef): string {
  return `s3://${object.bucket}/${object.key}`;
}

/** Waits for every task; if any failed, throws them together after the rest finished (no half-done siblings). */
async function settleAll(what: string, tasks: readonly Promise<unknown>[]): Promise<void> {
  const failures = (await Promise.allSettled(tasks)).flatMap((result) => (result.status === 'rejected' ? [result.reason as unknown] : []));
  if (failures.length === 1) throw failures[0];
  if (failures.length > 1) throw new AggregateError(failures, `${failures.length} of ${tasks.length} ${what} failed`);
}

export class LakeIndexer {
  private readonly blocks = new Map<string, ParsedBlock>();
  private readonly now: () => number;
  private readonly sleep: (ms: number) => Promise<void>;

  constructor(private readonly options: LakeIndexerOptions) {
    this.now = options.now ?? Date.now;
    this.sleep = options.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms)));
  }

  /** Indexes the objects one lake-events message names. Throws when the message must be retried (or dead-lettered). */
  async processMessage(body: string): Promise<void> {
    const { logger, metrics } = this.options;
    let objects: readonly LakeObjectRef[];
    try {
      const message = parseLakeEventsMessage(body);
      if (message.kind === 'test-event') {
        logger.info('skipping s3:TestEvent');
        return;
      }
      objects = message.objects;
    } catch (error) {
      if (error instanceof S3NotificationError) metrics.addMetric(IndexerMetric.InvalidNotifications, MetricUnit.Count, 1);
      logger.error('cannot read lake-events message', { error: error as Error });
      throw error;
    }
    for (const object of objects) {
      try {
        await this.processObject(object);
      } catch (error) {
        if (error instanceof LakeParseError) metrics.addMetric(IndexerMetric.LakeParseFailures, MetricUnit.Count, 1);
        // A duplicate delivery racing its twin is routine (at-least-once queues), not an incident.
        const log = error instanceof SignRequestSendInProgress ? logger.warn.bind(logger) : logger.error.bind(logger);
        log('cannot index Lake object', { object: s3Url(object), error: error as Error });
        throw error;
      }
    }
  }

  private async processObject(object: LakeObjectRef): Promise<void> {
    const key = classifyLakeKey(object.key);
    if (key.kind === 'shard') {
      await this.indexShard(object, key.height);
    } else if (key.kind === 'block') {
      this.recordBlockIndexed(await this.block(object.bucket, key.height));
    } else {
      this.options.metrics.addMetric(IndexerMetric.IgnoredObjects, MetricUnit.Count, 1);
      this.options.logger.warn('ignoring an object that is not a Lake block or shard file', { object: s3Url(object) });
    }
  }

  private async indexShard(object: LakeObjectRef, height: number): Promise<void> {
    const { contractId, maxObjectBytes, lake, metrics, logger } = this.options;
    const shard = await lake.read(object, maxObjectBytes);
    const activity = readShardActivity(shard.bytes, s3Url(object), contractId, maxObjectBytes);
    const attachedBlock = this.attachedBlock(object, height, shard.metadata);
    metrics.addMetric(IndexerMetric.ShardsProcessed, MetricUnit.Count, 1);
    metrics.addMetric(IndexerMetric.SignRequestsFound, MetricUnit.Count, activity.signCalls.length);
    metrics.addMetric(IndexerMetric.SignCompletions, MetricUnit.Count, activity.completions.length);
    metrics.addMetric(IndexerMetric.SignResponds, MetricUnit.Count, activity.responds.length);
    if (activity.unreadable.length > 0) {
      // Retrying cannot change an immutable shard, and by the time a fixed indexer could redrive it the
      // yield (~200 blocks) has expired: alarm on the metric instead of failing the message.
      metrics.addMetric(IndexerMetric.UnreadableSignCalls, MetricUnit.Count, activity.unreadable.length);
      for (const call of activity.unreadable) logger.error('accepted sign call cannot be indexed', { object: s3Url(object), ...call });
    }
    const requests = activity.signCalls.length === 0 ? [] : attachBlock(activity.signCalls, attachedBlock ?? (await this.block(object.bucket, height)), contractId);
    await settleAll('sign requests and completions', [
      ...requests.map((request) => this.publish(request)),
      ...activity.completions.map((completion) => this.close(completion)),
    ]);
    logger.debug('indexed shard', { object: s3Url(object), requests: requests.length, completions: activity.completions.length });
  }

  private async publish(request: SignRequest): Promise<void> {
    const { ledger, queue, metrics, logger } = this.options;
    const body = encodeSignRequest(request);
    const claim = await ledger.claimSend(request, body);
    if (claim.kind === 'claimed-elsewhere') throw new SignRequestSendInProgress(request.requestId);
    if (claim.kind !== 'claimed') {
      metrics.addMetric(IndexerMetric.SignRequestsAlreadyHandled, MetricUnit.Count, 1);
      return;
    }
    try {
      await queue.send(request.requestId, body);
      await ledger.markEnqueued(request.requestId);
    } catch (error) {
      await ledger.releaseClaim(request.requestId).catch((releaseError: unknown) => {
        logger.warn('could not release a send claim; the retry waits for it to expire', { requestId: request.requestId, error: releaseError as Error });
      });
      throw error;
    }
    metrics.addMetric(IndexerMetric.SignRequestsEnqueued, MetricUnit.Count, 1);
    logger.info('sign request enqueued', { requestId: request.requestId, domainId: request.domainId, predecessorId: request.predecessorId, retry: !claim.firstSeen });
  }

  private async close(completion: SignCompletion): Promise<void> {
    if (await this.options.ledger.recordCompletion(completion)) {
      this.options.logger.info('sign request closed', { requestId: completion.requestId, outcome: completion.outcome });
    }
  }

  private recordBlockIndexed(block: ParsedBlock): void {
    this.options.metrics.addMetric(IndexerMetric.BlocksProcessed, MetricUnit.Count, 1);
    const lagSeconds = (this.now() - Number(block.timestampNanosec / 1_000_000n)) / 1000;
    this.options.metrics.addMetric(IndexerMetric.BlockLagSeconds, MetricUnit.Seconds, Math.max(0, lagSeconds));
  }

  /**
   * The block header the public-lake follower attached to this shard (decision 0016), or null for an own
   * Lake writer's shard, whose block is read from block.json. A follower-copied shard is the only object of
   * its block, so its header is also what the lag metric sees.
   */
  private attachedBlock(object: LakeObjectRef, height: number, metadata: Readonly<Record<string, string>>): ParsedBlock | null {
    const block = parseBlockHeaderMetadata(metadata, s3Url(object));
    if (block === null) return null;
    if (block.height !== height) throw new LakeParseError(s3Url(object), `metadata ${BLOCK_HEADER_METADATA.height}`, `block ${block.height} attached to a shard stored under height ${height}`);
    this.recordBlockIndexed(block);
    return block;
  }

  private async readBlockFile(object: LakeObjectRef): Promise<Uint8Array> {
    for (const delayMs of BLOCK_WAIT_SCHEDULE_MS) {
      try {
        return (await this.options.lake.read(object, this.options.maxObjectBytes)).bytes;
      } catch (error) {
        if (!(error instanceof LakeObjectMissing)) throw error;
        await this.sleep(delayMs);
      }
    }
    // Still missing: fail the message; its retry (after the visibility timeout) looks again.
    return (await this.options.lake.read(object, this.options.maxObjectBytes)).bytes;
  }

  private async block(bucket: string, height: number): Promise<ParsedBlock> {
    const object = { bucket, key: blockKeyOf(height) };
    const cacheKey = s3Url(object);
    const cached = this.blocks.get(cacheKey);
    if (cached !== undefined) return cached;
    const { maxObjectBytes } = this.options;
    const block = parseLakeBlock(await this.readBlockFile(object), { source: cacheKey, maxBytes: maxObjectBytes });
    if (block.height !== height) throw new LakeParseError(cacheKey, '$.header.height', `block ${block.height} stored under height ${height}`);
    if (this.blocks.size >= BLOCK_CACHE_SIZE) this.blocks.delete(this.blocks.keys().next().value!);
    this.blocks.set(cacheKey, block);
    return block;
  }
}
