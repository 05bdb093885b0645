/**
 * Orphan follower shares. A follower stores its shares of a run before the owner keeps the asset; when
 * the owner then does not keep it and cannot say so (`shares-dropped`) — it stopped or died mid-run, or
 * the notice was lost — the follower's shares would stay in its table for good, because only an owner
 * names its assets for use. So now and then each node asks each reachable owner about the shares of
 * that owner's assets it has held for longer than `minAgeMs` (far longer than any run takes to store
 * and confirm), and deletes those the owner says it neither holds nor took lately.
 *
 * - The auditor acts only on the answer to its own question, from the owner it asked, and only on the
 *   ids it asked about: an owner can make a peer delete only shares of its own assets, which it could
 *   leave unused anyway.
 * - The owner leaves out ids it took within `takenWithinMs`: the run that uses one may not have reached
 *   the follower yet (a signing follower first waits for its own indexer), and its share must still be
 *   there when it does.
 */
import { randomBytes } from 'node:crypto';
import type { ParticipantId } from '../../../shared/crypto/protocol.js';
import { parsePartition } from '../assets.js';
import { SHARE_AUDIT_MAX_IDS, type ControlMessageOf } from '../control.js';
import { assetStoreOf, type NodeContext } from '../node-context.js';
import type { Counter } from '../observability/metrics.js';
import { StockpileRequestRefused } from './errors.js';

/** A partition of assets another node owns and this node holds shares of. */
export interface FollowedPartition {
  readonly owner: ParticipantId;
  readonly partition: string;
  readonly kind: 'triples' | 'presignatures';
}

export interface ShareAuditOptions {
  /** Shares stored more recently than this are not asked about. Default 10 min. */
  readonly minAgeMs?: number;
  /** An owner does not call an asset unknown that it took this recently. Default 5 min. */
  readonly takenWithinMs?: number;
  /** How long the auditor waits for an owner's answer. Default 60 s. */
  readonly answerTimeoutMs?: number;
}

export interface ShareAuditReport {
  /** Shares asked about. */
  readonly asked: number;
  /** Shares deleted because their owner no longer knew them. */
  readonly deleted: number;
  /** Shares asked about whose owner did not answer in time (kept; asked again next time). */
  readonly unanswered: number;
}

export const DEFAULT_SHARE_AUDIT_MIN_AGE_MS = 10 * 60_000;
export const DEFAULT_SHARE_AUDIT_TAKEN_WITHIN_MS = 5 * 60_000;

interface PendingAudit {
  readonly owner: ParticipantId;
  readonly ids: ReadonlySet<string>;
  readonly settle: (unknown: string[] | undefined) => void;
}

export class ShareAudit {
  /** Questions under way, by audit id: one at a time per {@link run}. */
  private readonly pending = new Map<string, PendingAudit>();
  private readonly minAgeMs: number;
  private readonly takenWithinMs: number;
  private readonly answerTimeoutMs: number;

  constructor(
    private readonly context: NodeContext,
    /** Every partition this node may hold followed shares of that its owner could still use. */
    private readonly followedPartitions: () => readonly FollowedPartition[],
    /** Followed shares deleted as orphans, by kind. */
    private readonly deletedCounter: Counter,
    options: ShareAuditOptions = {},
  ) {
    this.minAgeMs = options.minAgeMs ?? DEFAULT_SHARE_AUDIT_MIN_AGE_MS;
    this.takenWithinMs = options.takenWithinMs ?? DEFAULT_SHARE_AUDIT_TAKEN_WITHIN_MS;
    this.answerTimeoutMs = options.answerTimeoutMs ?? 60_000;
  }

  register(): void {
    const control = this.context.network.control;
    control.on('share-audit', (from, message) => this.answer(from, message));
    control.on('share-audit-result', async (from, message) => this.onAnswer(from, message));
  }

  /** Asks every reachable owner about this node's older shares of its assets and deletes the ones it no longer knows. */
  async run(): Promise<ShareAuditReport> {
    const cutoff = Date.now() - this.minAgeMs;
    const reachable = new Set(this.context.network.reachablePeers());
    let asked = 0;
    let deleted = 0;
    let unanswered = 0;
    for (const { owner, partition, kind } of this.followedPartitions()) {
      if (!reachable.has(owner)) continue;
      const store = assetStoreOf(this.context.stores, kind);
      const ids = await store.idsStoredBefore(partition, cutoff);
      for (let start = 0; start < ids.length; start += SHARE_AUDIT_MAX_IDS) {
        const chunk = ids.slice(start, start + SHARE_AUDIT_MAX_IDS);
        asked += chunk.length;
        const unknown = await this.ask(owner, partition, chunk);
        if (unknown === undefined) {
          unanswered += chunk.length;
          continue;
        }
        const removed = (await Promise.all(unknown.map((id) => store.take(partition, id)))).filter((asset) => asset !== undefined).length;
        if (removed > 0) {
          this.deletedCounter.inc({ kind }, removed);
          this.context.logger.info('deleted followed shares whose owner no longer knows them', { owner, partition, count: removed });
        }
        deleted += removed;
      }
    }
    return { asked, deleted, unanswered };
  }

  /** The owner's answer to `ids`, or undefined when none came in time. */
  private ask(owner: ParticipantId, partition: string, ids: readonly string[]): Promise<string[] | undefined> {
    const audit = randomBytes(32).toString('hex');
    return new Promise((resolve) => {
      const settle = (unknown: string[] | undefined): void => {
        clearTimeout(timer);
        this.pending.delete(audit);
        resolve(unknown);
      };
      const timer = setTimeout(() => settle(undefined), this.answerTimeoutMs);
      timer.unref();
      this.pending.set(audit, { owner, ids: new Set(ids), settle });
      this.context.network.control.sendTo([owner], { type: 'share-audit', audit, partition, ids: [...ids] }).catch(() => settle(undefined));
    });
  }

  /** Owner side: which of the asked ids of one of this node's partitions it neither holds nor took lately. */
  private async answer(from: ParticipantId, message: ControlMessageOf<'share-audit'>): Promise<void> {
    const parsed = parsePartition(message.partition);
    if (parsed === null || parsed.owner !== this.context.me || !parsed.participants.includes(from)) {
      throw new StockpileRequestRefused(from, 'share-audit', message.audit, `${message.partition} is not a partition of this node's assets shared with the sender`);
    }
    const unknown = await assetStoreOf(this.context.stores, parsed.kind).unknownIds(message.partition, message.ids, this.takenWithinMs);
    await this.context.network.control.sendTo([from], { type: 'share-audit-result', audit: message.audit, unknown });
  }

  /** Auditor side: only the answer to a question under way, from the owner it went to, and only about the ids asked. */
  private onAnswer(from: ParticipantId, message: ControlMessageOf<'share-audit-result'>): void {
    const audit = this.pending.get(message.audit);
    if (audit === undefined || audit.owner !== from) {
      throw new StockpileRequestRefused(from, 'share-audit-result', message.audit, audit === undefined ? 'no such audit under way' : `the audit asked participant ${audit.owner}`);
    }
    audit.settle(message.unknown.filter((id) => audit.ids.has(id)));
  }
}
