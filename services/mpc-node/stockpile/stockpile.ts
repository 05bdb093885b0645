/**
 * The node's stockpile: background generation of Beaver triples, ECDSA presignatures and EdDSA nonce
 * pre-commitments, kept at a target level, stored sealed, each taken atomically and used at most once
 * (README.md in this folder: partitions, ownership, invariant 2).
 *
 * Owner-driven: this node starts runs for assets it will own and alone spend; peers join as followers
 * ({@link StockpileFollower}) and keep their shares under the same partition and id.
 */
import { randomBytes } from 'node:crypto';
import { decodeTriple, EcdsaPresign, encodePresignatureShare, encodeTriple } from '../../../shared/crypto/ecdsa/index.js';
import { generateTriples } from '../../../shared/crypto/ecdsa/triples/index.js';
import { EddsaPresignProtocol, encodeEddsaPresignature } from '../../../shared/crypto/eddsa/presign.js';
import { ascending, type ParticipantId } from '../../../shared/crypto/protocol.js';
import { parsePartition, participantSetKey, presignaturePartition, tripleId, triplePartition, type ParsedPartition, type PresignatureScheme } from '../assets.js';
import { assetStoreOf, setFits, type NodeContext, type ServingKey, type ServingState, type SetParameters } from '../node-context.js';
import type { Asset, AssetStore } from '../storage/asset-store.js';
import { StockpileRunFailed } from './errors.js';
import { ShareAudit, type FollowedPartition, type ShareAuditOptions, type ShareAuditReport } from './share-audit.js';
import { StockpileFollower, type FollowerLimits } from './follower.js';
import { failureReason, StockpileMetrics, type RunKind } from './metrics.js';
import { OwnAssets } from './own-assets.js';
import { combinations, SetRotation } from './participant-sets.js';
import { StoredConfirmations } from './stored-confirmations.js';
import { needsTripleBatch, pairableTriples, presignatureDeficit } from './targets.js';

export interface StockpileOptions {
  readonly context: NodeContext;
  /** Presignatures this node keeps for a domain (read on every planning pass, so a policy can move it). */
  readonly presignatureTarget: (domainId: number, scheme: PresignatureScheme) => number;
  /**
   * Whether requests are being signed right now. While they are, generation only keeps the stock above
   * `busyRefillFraction` of its target: on a machine whose cores also sign, refilling during a burst
   * would slow the burst down, and the stock is there to carry it. Default: never busy.
   */
  readonly signingBusy?: () => boolean;
  /** Share of the presignature target kept up while signing is busy. Default 0.5. */
  readonly busyRefillFraction?: number;
  /**
   * Usable triples (whole set reachable) this node keeps while signing is not busy, over all sets of the
   * running parameters, and as many again for the parameters a resharing in progress moves to; at least
   * `tripleBatchSize`. Everything owned, usable or not, stays under `maxOwnedFactor` × this. While busy,
   * batches start only for presignatures that need them.
   */
  readonly tripleTarget: number;
  /** Triples per generation run (near/mpc uses 64; tests use a few). */
  readonly tripleBatchSize: number;
  /** Owner runs at once, all kinds together. */
  readonly maxConcurrentGenerations: number;
  /**
   * Follower runs at once (./follower.ts FollowerLimits): triple batches and presign runs each default to
   * 4 × maxConcurrentGenerations, one owner's to 2 × maxConcurrentGenerations in each.
   */
  readonly followerLimits?: Partial<Omit<FollowerLimits, 'maxBatchSize'>>;
  /** Largest triple batch this node joins as a follower. Default max(64, tripleBatchSize). */
  readonly maxFollowerBatchSize?: number;
  /** Owned presignatures per domain, and owned triples, usable or not, are capped at this × their target. Default 2. */
  readonly maxOwnedFactor?: number;
  /** How often generation is re-planned without a wake-up (reachability changes, backoffs ending). Default 1 s. */
  readonly planIntervalMs?: number;
  /** How often own counts are re-read from the store. Default 5 min. */
  readonly resyncIntervalMs?: number;
  readonly backoff?: { readonly baseMs: number; readonly maxMs: number };
  /** The audit of followed shares whose owner no longer knows them (./share-audit.ts), every `intervalMs` (default 30 min). */
  readonly shareAudit?: ShareAuditOptions & { readonly intervalMs?: number };
  /** Called after every owner run (tests, tracing). Never given secret material. */
  readonly onOwnerRun?: (report: OwnerRunReport) => void;
}

export interface OwnerRunReport {
  readonly kind: RunKind;
  readonly instance: string;
  readonly participants: readonly ParticipantId[];
  /** Where the asset(s) went; for triples the triple partition. */
  readonly partition: string;
  readonly startedAt: number;
  readonly outcome: 'succeeded' | 'failed';
  /** ECDSA presign: the triples it took (consumed whatever the outcome). */
  readonly consumedTriples?: { readonly partition: string; readonly ids: readonly string[] };
  readonly error?: string;
  /** Why a failed run failed, as the `stockpile_runs_failed_total` reason label ({@link failureReason}). */
  readonly reason?: string;
}

/** A presignature handed to the signing service: it is out of the store, and the caller must use it or drop it. */
export type TakenPresignature = Asset;

const SCHEME_OF_CURVE = { Secp256k1: 'ecdsa', Ed25519: 'eddsa' } as const;
const DEFAULT_BUSY_REFILL_FRACTION = 0.5;
const DEFAULT_MAX_OWNED_FACTOR = 2;
/** Sets enumerated at start to read own counts; beyond, only partitions seen by this process are counted. */
const MAX_SETS_COUNTED_AT_START = 256;
const DEFAULT_SHARE_AUDIT_INTERVAL_MS = 30 * 60_000;

/** A partition of assets a set can make, owned by `owner` (one of its members, this node included): a followed partition's shape. */
type SetPartition = FollowedPartition;

type OwnerJob =
  | { readonly kind: 'triples'; readonly set: ParticipantId[]; readonly parameters: SetParameters }
  | { readonly kind: 'ecdsa-presign'; readonly set: ParticipantId[]; readonly key: ServingKey; readonly triplePartition: string }
  | { readonly kind: 'eddsa-presign'; readonly set: ParticipantId[]; readonly key: ServingKey };

export class Stockpile {
  private readonly context: NodeContext;
  private readonly metrics: StockpileMetrics;
  private readonly follower: StockpileFollower;
  private readonly own: OwnAssets;
  private readonly rotation: SetRotation;
  private readonly ownerRuns = new Set<Promise<void>>();
  private readonly confirmations = new StoredConfirmations();
  /** Presign runs under way by domain id; triples under way as a count of triples, by {@link parametersKey}. */
  private readonly presignInFlight = new Map<number, number>();
  private readonly triplesInFlight = new Map<string, number>();
  private running = false;
  private registered = false;
  private planTimer: NodeJS.Timeout | undefined;
  private resyncTimer: NodeJS.Timeout | undefined;
  private auditTimer: NodeJS.Timeout | undefined;
  private readonly shareAudit: ShareAudit;
  private planScheduled = false;
  /** The serving state the last planning pass saw, to notice an epoch change. */
  private lastServing: ServingState | null = null;
  /** What own counts were last read from the store for ({@link countingBasis}); undefined: never. */
  private countedBasis: string | undefined;
  /** The read of own counts under way for `countedBasis`; planning waits for it. */
  private counting: Promise<void> | undefined;
  private readonly retirements = new Set<NodeJS.Timeout>();

  constructor(private readonly options: StockpileOptions) {
    if (options.tripleTarget < options.tripleBatchSize) throw new RangeError(`tripleTarget ${options.tripleTarget} is below the batch size ${options.tripleBatchSize}: no batch would ever start`);
    if (options.maxConcurrentGenerations < 1) throw new RangeError('maxConcurrentGenerations must be at least 1');
    this.context = options.context;
    this.metrics = new StockpileMetrics(this.context.metrics);
    this.own = new OwnAssets(this.context.me);
    this.rotation = new SetRotation(options.backoff === undefined ? {} : { baseBackoffMs: options.backoff.baseMs, maxBackoffMs: options.backoff.maxMs });
    this.follower = new StockpileFollower(
      this.context,
      {
        maxTripleRuns: options.followerLimits?.maxTripleRuns ?? 4 * options.maxConcurrentGenerations,
        maxPresignRuns: options.followerLimits?.maxPresignRuns ?? 4 * options.maxConcurrentGenerations,
        maxRunsPerOwner: options.followerLimits?.maxRunsPerOwner ?? 2 * options.maxConcurrentGenerations,
        maxBatchSize: options.maxFollowerBatchSize ?? Math.max(64, options.tripleBatchSize),
      },
      this.metrics,
    );
    this.shareAudit = new ShareAudit(this.context, () => this.followedPartitions(), this.metrics.orphansDeleted, options.shareAudit);
  }

  /** Joins peers' runs from now on, reads own counts from the store, and starts generating. */
  async start(): Promise<void> {
    if (!this.registered) {
      this.follower.register();
      this.shareAudit.register();
      this.context.network.control.on('shares-stored', async (from, message) => this.confirmations.confirm(from, message.instance));
      // A peer that stopped answering, or left the participant set, will not confirm what it stored.
      this.context.network.onPeerLost((peer) => this.confirmations.abandonFrom(peer));
      this.context.network.onPeerRemoved((peer) => this.confirmations.abandonFrom(peer));
      this.registered = true;
    }
    if (this.running) return;
    // Whatever epoch this process saw before, the served one is learned afresh (and what earlier ones left retired).
    this.lastServing = null;
    this.countedBasis = undefined;
    await this.recount();
    this.running = true;
    this.planTimer = setInterval(() => this.wake(), this.options.planIntervalMs ?? 1_000);
    this.planTimer.unref();
    this.resyncTimer = setInterval(() => void this.resync(false), this.options.resyncIntervalMs ?? 5 * 60_000);
    this.resyncTimer.unref();
    this.auditTimer = setInterval(() => {
      void this.auditFollowedShares().catch((error: unknown) => {
        this.context.logger.warn('auditing followed shares failed', { error: error instanceof Error ? error.message : String(error) });
      });
    }, this.options.shareAudit?.intervalMs ?? DEFAULT_SHARE_AUDIT_INTERVAL_MS);
    this.auditTimer.unref();
    this.wake();
  }

  /** Deletes this node's shares of peers' assets that their owner no longer knows (./share-audit.ts). */
  auditFollowedShares(): Promise<ShareAuditReport> {
    return this.shareAudit.run();
  }

  /** Starts no new owner runs from now on; the runs under way go on (see {@link stop}). */
  pause(): void {
    this.running = false;
    clearInterval(this.planTimer);
    clearInterval(this.resyncTimer);
    clearInterval(this.auditTimer);
    for (const timer of this.retirements) clearTimeout(timer);
    this.retirements.clear();
  }

  /**
   * Starts no new owner runs and waits until the runs under way (owner and follower) have stored
   * their asset or failed. Runs are not aborted here: each stores its asset only after it finished,
   * so letting them finish wastes nothing. A node shutting down instead pauses, stops its network
   * (PeerNetwork.stop → abortAll, which stores nothing) and then calls this, which returns at once:
   * waiting for runs whose peers are stopping too could only end at their timeout. So with the
   * network stopped, waits for followers' `shares-stored` end at once too, unconfirmed (no
   * confirmation comes through a stopped network; those runs store nothing).
   */
  async stop(): Promise<void> {
    this.pause();
    if (this.context.network.stopped) this.confirmations.abandonAll();
    while (this.ownerRuns.size > 0) await Promise.allSettled([...this.ownerRuns]);
    await this.follower.idle();
  }

  /** Asks for a planning pass soon (e.g. after the signing service took a presignature). */
  wake(): void {
    if (!this.running || this.planScheduled) return;
    this.planScheduled = true;
    setImmediate(() => {
      this.planScheduled = false;
      this.plan();
    });
  }

  /**
   * Takes one presignature this node owns for `domainId` (current epoch), whose whole set is reachable
   * and accepted by `usableSet`, atomically out of the store (invariant 2): the caller holds the only
   * copy of this node's share. Fullest partitions first, to keep sets balanced. Undefined when none.
   */
  async takePresignature(scheme: PresignatureScheme, domainId: number, usableSet: (participants: readonly ParticipantId[]) => boolean = () => true): Promise<TakenPresignature | undefined> {
    const key = this.servingKey(domainId, scheme);
    if (key === undefined) return undefined;
    const reachable = this.reachableSet();
    const candidates = this.presignaturePartitions(scheme, key)
      .filter(({ parsed }) => this.allReachable(parsed.participants, reachable) && usableSet(parsed.participants) && this.own.count(this.partitionOf(scheme, key, parsed.participants)) > 0)
      .map(({ partition }) => partition)
      .sort((a, b) => this.own.count(b) - this.own.count(a));
    try {
      for (const partition of candidates) {
        const version = this.own.version(partition);
        const taken = await this.context.stores.presignatures.takeAny(partition);
        if (taken !== undefined) {
          this.own.removed(partition);
          return taken;
        }
        // The count was stale (or concurrent takers won every candidate): trust the store for this partition.
        this.own.resynced(partition, 0, version);
      }
      return undefined;
    } finally {
      this.publishLevels();
      this.wake();
    }
  }

  /** Usable presignatures (whole set reachable) this node owns for the domain's current key. */
  presignaturesAvailable(domainId: number): number {
    const key = this.context.serving()?.keys.get(domainId);
    if (key === undefined) return 0;
    const scheme = SCHEME_OF_CURVE[key.domain.scheme];
    const reachable = this.reachableSet();
    return this.presignaturePartitions(scheme, key)
      .filter(({ parsed }) => this.allReachable(parsed.participants, reachable))
      .reduce((sum, { partition }) => sum + this.own.count(partition), 0);
  }

  /** Owner runs under way (for tests and metrics). */
  get ownerRunsInFlight(): number {
    return this.ownerRuns.size;
  }

  // ——— planning ———

  private plan(): void {
    if (!this.running) return;
    // Counts not read for this serving state yet would show stored stock as missing and start runs for it.
    if (this.recount() !== undefined) return;
    const serving = this.context.serving();
    this.noticeEpochChange(serving);
    const upcoming = this.upcomingParameters(serving);
    if (serving === null && upcoming === null) return;
    const reachable = this.reachableSet(serving);
    const candidates = serving === null ? [] : this.rotation.candidateSets(this.context.me, [...reachable], serving.threshold);
    while (this.ownerRuns.size < this.options.maxConcurrentGenerations) {
      const job = (serving === null ? undefined : this.nextJob(serving, reachable, candidates)) ?? (upcoming === null ? undefined : this.tripleJobAhead(upcoming));
      if (job === undefined) break;
      this.launch(job);
    }
    this.publishLevels();
  }

  /**
   * Schedules the retirement of assets no epoch can use any more: one protocol timeout after the served
   * epoch grows, when no run of the old epoch can still be storing a share, and as long after the first
   * epoch this process serves, since epochs may have changed while the node was down.
   */
  private noticeEpochChange(serving: ServingState | null): void {
    const previous = this.lastServing;
    if (serving === null || serving === previous) return;
    this.lastServing = serving;
    if (previous === null || serving.epochId > previous.epochId) this.scheduleRetirement();
  }

  private scheduleRetirement(): void {
    const timer = setTimeout(() => {
      this.retirements.delete(timer);
      void this.retireUnusableAssets().catch((error: unknown) => {
        this.context.logger.warn('retiring the assets of earlier epochs failed', { error: error instanceof Error ? error.message : String(error) });
      });
    }, this.context.protocolTimeoutMs);
    timer.unref();
    this.retirements.add(timer);
  }

  /**
   * Deletes this node's shares — of assets it owns and of assets it followed — that the served epoch and
   * a resharing under way can never use: presignatures of earlier epochs (made with older key shares),
   * and triples of sets that fit neither the running nor the upcoming parameters. Nothing else would
   * ever remove them. The partitions are read from the tables, so every epoch the node missed (down
   * across several resharings) is covered; a sweep reads the stockpile once and runs only at epoch
   * changes and starts.
   */
  private async retireUnusableAssets(): Promise<void> {
    const { stores, logger } = this.context;
    const serving = this.context.serving();
    if (serving === null) return;
    const stillUsable = [serving, this.context.upcoming()].filter((parameters) => parameters !== null);
    const usable = (set: readonly ParticipantId[]) => stillUsable.some((parameters) => setFits(set, parameters));
    const triples = await this.discardPartitions(stores.triples, (parsed) => parsed.kind === 'triples' && !usable(parsed.participants));
    const presignatures = await this.discardPartitions(stores.presignatures, (parsed) => parsed.epochId !== undefined && parsed.epochId < serving.epochId);
    logger.info('retired the assets of earlier epochs', { servedEpochId: serving.epochId, presignatures, triples });
    this.metrics.retired.inc({ kind: 'presignatures' }, presignatures);
    this.metrics.retired.inc({ kind: 'triples' }, triples);
    this.publishLevels();
  }

  /** Discards every partition of `store` that is `unusable` (unreadable ones are left); returns how many assets went. */
  private async discardPartitions(store: AssetStore, unusable: (parsed: ParsedPartition) => boolean): Promise<number> {
    let discarded = 0;
    for (const partition of await store.partitions()) {
      const parsed = parsePartition(partition);
      if (parsed === null || !unusable(parsed)) continue;
      discarded += await store.discard(partition);
      if (parsed.owner === this.context.me) this.own.forget(partition);
    }
    return discarded;
  }

  /** The parameters a resharing in progress moves to, when this node is among them and they differ from the running ones. */
  private upcomingParameters(serving: ServingState | null): SetParameters | null {
    const upcoming = this.context.upcoming();
    if (upcoming === null || !upcoming.participants.includes(this.context.me)) return null;
    return serving !== null && parametersKey(serving) === parametersKey(upcoming) ? null : upcoming;
  }

  /**
   * A triple batch for the sets a resharing in progress moves to, while signing is not busy. Triples do
   * not depend on a key, so the new epoch's first ECDSA presignatures then find theirs ready instead of
   * waiting for a batch (seconds on a loaded machine) after the epoch started.
   */
  private tripleJobAhead(upcoming: SetParameters): OwnerJob | undefined {
    if (this.options.signingBusy?.() === true) return undefined;
    const candidates = this.rotation.candidateSets(this.context.me, [...this.reachableSet(upcoming)], upcoming.threshold);
    if (!needsTripleBatch({ ...this.tripleStock(upcoming, candidates), ecdsaDeficit: 0, pairable: 0, fillAhead: true })) return undefined;
    const set = this.rotation.pick(this.context.me, candidates);
    return set === undefined ? undefined : { kind: 'triples', set, parameters: upcoming };
  }

  private nextJob(serving: ServingState, reachable: ReadonlySet<ParticipantId>, candidates: ParticipantId[][]): OwnerJob | undefined {
    let ecdsaDeficit = 0;
    // Largest relative deficit first, so one domain cannot starve the other.
    const domains = [...serving.keys.values()]
      .map((key) => ({ key, scheme: SCHEME_OF_CURVE[key.domain.scheme], deficit: this.deficit(key, reachable) }))
      .filter(({ deficit }) => deficit > 0)
      .sort((a, b) => b.deficit - a.deficit);
    for (const { key, scheme, deficit } of domains) {
      if (scheme === 'eddsa') {
        const set = this.rotation.pick(this.context.me, candidates);
        if (set !== undefined) return { kind: 'eddsa-presign', set, key };
        continue;
      }
      const withTriples = candidates.filter((set) => this.own.available(triplePartition(this.context.me, set)) >= 2);
      const set = this.rotation.pick(this.context.me, withTriples);
      if (set !== undefined) {
        const partition = triplePartition(this.context.me, set);
        if (this.own.reserve(partition, 2)) return { kind: 'ecdsa-presign', set, key, triplePartition: partition };
      }
      ecdsaDeficit += deficit;
    }
    const tripleLevel = {
      ...this.tripleStock(serving, candidates),
      ecdsaDeficit,
      pairable: candidates.reduce((sum, set) => sum + pairableTriples(this.own.available(triplePartition(this.context.me, set))), 0),
      fillAhead: this.options.signingBusy?.() !== true,
    };
    if (!needsTripleBatch(tripleLevel)) return undefined;
    const set = this.rotation.pick(this.context.me, candidates);
    return set === undefined ? undefined : { kind: 'triples', set, parameters: serving };
  }

  /** The triple counts of `parameters` that {@link needsTripleBatch} weighs; `candidates` are its sets reachable now. */
  private tripleStock(parameters: SetParameters, candidates: readonly (readonly ParticipantId[])[]) {
    return {
      usable: candidates.reduce((sum, set) => sum + this.own.count(triplePartition(this.context.me, set)), 0),
      owned: this.ownedTriples(parameters),
      inFlight: this.triplesInFlight.get(parametersKey(parameters)) ?? 0,
      tripleTarget: this.options.tripleTarget,
      maxOwned: Math.ceil(this.options.tripleTarget * (this.options.maxOwnedFactor ?? DEFAULT_MAX_OWNED_FACTOR)),
      batchSize: this.options.tripleBatchSize,
    };
  }

  private deficit(key: ServingKey, reachable: ReadonlySet<ParticipantId>): number {
    const scheme = SCHEME_OF_CURVE[key.domain.scheme];
    const fullTarget = Math.max(0, Math.floor(this.options.presignatureTarget(key.domain.id, scheme)));
    const target = this.options.signingBusy?.() === true ? Math.ceil(fullTarget * (this.options.busyRefillFraction ?? DEFAULT_BUSY_REFILL_FRACTION)) : fullTarget;
    let usable = 0;
    let owned = 0;
    for (const { partition, parsed } of this.presignaturePartitions(scheme, key)) {
      const count = this.own.count(partition);
      owned += count;
      if (this.allReachable(parsed.participants, reachable)) usable += count;
    }
    const maxOwned = Math.ceil(fullTarget * (this.options.maxOwnedFactor ?? DEFAULT_MAX_OWNED_FACTOR));
    return presignatureDeficit({ target, usable, owned, inFlight: this.presignInFlight.get(key.domain.id) ?? 0, maxOwned });
  }

  private launch(job: OwnerJob): void {
    const instance = new Uint8Array(randomBytes(32));
    const instanceHex = Buffer.from(instance).toString('hex');
    this.rotation.recordUse(this.context.me, job.set);
    if (job.kind === 'triples') this.addTriplesInFlight(job.parameters, this.options.tripleBatchSize);
    else this.presignInFlight.set(job.key.domain.id, (this.presignInFlight.get(job.key.domain.id) ?? 0) + 1);
    this.metrics.started(job.kind, 'owner');
    const startedAt = Date.now();
    const partition = job.kind === 'triples' ? triplePartition(this.context.me, job.set) : this.partitionOf(job.kind === 'ecdsa-presign' ? 'ecdsa' : 'eddsa', job.key, job.set);
    const consumed: { partition: string; ids: string[] } | undefined = job.kind === 'ecdsa-presign' ? { partition: job.triplePartition, ids: [] } : undefined;
    const log = { kind: job.kind, instance: instanceHex, participants: job.set, partition };
    this.context.logger.debug('stockpile run started', log);
    const run = this.runJob(job, instance, instanceHex, partition, consumed)
      .then(() => {
        this.rotation.recordSuccess(job.set);
        this.metrics.succeeded(job.kind, 'owner');
        this.report({ kind: job.kind, instance: instanceHex, participants: job.set, partition, startedAt, outcome: 'succeeded', ...(consumed ? { consumedTriples: consumed } : {}) });
      })
      .catch((error: unknown) => {
        const backoffMs = this.rotation.recordFailure(job.set);
        this.metrics.failed(job.kind, 'owner', error);
        this.context.logger.warn('stockpile run failed', { ...log, backoffMs, error: error instanceof Error ? error.message : String(error) });
        this.report({ kind: job.kind, instance: instanceHex, participants: job.set, partition, startedAt, outcome: 'failed', ...(consumed ? { consumedTriples: consumed } : {}), error: String(error), reason: failureReason(error) });
        this.dropFollowerShares(job.set, instanceHex);
      })
      .finally(() => {
        if (job.kind === 'triples') this.addTriplesInFlight(job.parameters, -this.options.tripleBatchSize);
        else this.presignInFlight.set(job.key.domain.id, (this.presignInFlight.get(job.key.domain.id) ?? 1) - 1);
        this.ownerRuns.delete(run);
        this.wake();
      });
    this.ownerRuns.add(run);
  }

  /**
   * Tells the followers of a failed run to delete what they stored of it: this node kept nothing, so
   * their shares would never be named. Best effort — a node whose network is stopped (shutting down)
   * cannot, and those shares stay as orphans.
   */
  private dropFollowerShares(set: readonly ParticipantId[], instance: string): void {
    const { network, me } = this.context;
    if (network.stopped) return;
    network.control.sendTo(set.filter((id) => id !== me), { type: 'shares-dropped', instance }).catch(() => undefined);
  }

  private report(report: OwnerRunReport): void {
    try {
      this.options.onOwnerRun?.(report);
    } catch {
      // An observer's bug must not break generation.
    }
  }

  private async runJob(job: OwnerJob, instance: Uint8Array, instanceHex: string, partition: string, consumed: { partition: string; ids: string[] } | undefined): Promise<void> {
    const { me, network, stores, protocolTimeoutMs } = this.context;
    const peers = job.set.filter((id) => id !== me);
    const fail = (reason: string, cause?: unknown): never => {
      throw new StockpileRunFailed(job.kind, instanceHex, job.set, reason, cause === undefined ? undefined : { cause });
    };
    // Expected before the followers are told, so that no confirmation can arrive unexpected.
    const followersStored = this.confirmations.expect(instanceHex, peers);
    try {
      if (job.kind === 'triples') {
        const batchSize = this.options.tripleBatchSize;
        const triples = await network.startRun(instance, generateTriples({ participants: job.set, me, threshold: job.parameters.threshold, batchSize, sessionId: instance }), job.set, protocolTimeoutMs, {
          type: 'triples',
          instance: instanceHex,
          participants: job.set,
          threshold: job.parameters.threshold,
          batchSize,
        });
        if (!(await followersStored.confirmed(protocolTimeoutMs))) fail('not every follower confirmed it stored its triples');
        await this.storeOwnShares(stores.triples, partition, job.set, triples.map((triple, i) => ({ id: tripleId(instanceHex, i), payload: encodeTriple(triple) })));
        return;
      }
      const presignKey = { domainId: job.key.domain.id, epochId: job.key.epochId };
      const payload = await this.presign(job, instance, instanceHex, presignKey, consumed, fail);
      if (!(await followersStored.confirmed(protocolTimeoutMs))) fail('not every follower confirmed it stored its share');
      await this.storeOwnShares(stores.presignatures, partition, job.set, [{ id: instanceHex, payload }]);
    } finally {
      followersStored.cancel();
    }
  }

  /**
   * Stores this node's shares of a run all or none. When a put fails the run fails and its followers are
   * told to drop their shares, so none of this run's shares may stay here either: the puts that succeeded,
   * and a failed one that DynamoDB applied although its answer was lost, are taken out again. The shares
   * are counted (and offered to presign runs) only once all of them are stored.
   */
  private async storeOwnShares(store: AssetStore, partition: string, participants: readonly ParticipantId[], shares: readonly { id: string; payload: Uint8Array }[]): Promise<void> {
    const puts = await Promise.allSettled(shares.map(({ id, payload }) => store.put({ partition, id, participants, payload })));
    const failed = puts.find((put): put is PromiseRejectedResult => put.status === 'rejected');
    if (failed === undefined) {
      this.own.added(partition, shares.length);
      return;
    }
    const takes = await Promise.allSettled(shares.map(({ id }) => store.take(partition, id)));
    const left = shares.filter((_, i) => takes[i]!.status === 'rejected').map(({ id }) => id);
    this.context.logger.warn('stockpile run failed storing its shares; took back the ones stored', { partition, shares: shares.length, putsFailed: puts.filter((put) => put.status === 'rejected').length, notTakenBack: left });
    throw failed.reason;
  }

  /** Runs the presign of `job` with its followers; returns this node's encoded presignature share. */
  private async presign(
    job: Exclude<OwnerJob, { kind: 'triples' }>,
    instance: Uint8Array,
    instanceHex: string,
    presignKey: { readonly domainId: number; readonly epochId: number },
    consumed: { partition: string; ids: string[] } | undefined,
    fail: (reason: string, cause?: unknown) => never,
  ): Promise<Uint8Array> {
    const { network, stores, protocolTimeoutMs } = this.context;
    if (job.kind === 'ecdsa-presign') {
      // Invariant 2: both triples leave the store before anything derived from them leaves the node.
      const nonce = await this.takeReservedTriple(job.triplePartition);
      const multiplication = nonce === undefined ? undefined : await this.takeReservedTriple(job.triplePartition);
      // The second triple's reservation, when it was never tried.
      if (nonce === undefined) this.own.release(job.triplePartition, 1);
      if (nonce === undefined || multiplication === undefined) {
        if (nonce !== undefined) {
          // Nothing derived from it left the node and no peer was told of it, so it is still unused: put it back.
          await stores.triples.put(nonce);
          this.own.added(job.triplePartition);
        }
        void this.resync(false);
        fail(`fewer than two triples in ${job.triplePartition}`);
      }
      consumed!.ids.push(nonce!.id, multiplication!.id);
      const triples = [decodeTriple(nonce!.payload), decodeTriple(multiplication!.payload)] as const;
      const share = await network.startRun(instance, new EcdsaPresign({ participants: job.set, keyShare: job.key.share, nonceTriple: triples[0], multiplicationTriple: triples[1] }), job.set, protocolTimeoutMs, {
        type: 'ecdsa-presign',
        instance: instanceHex,
        participants: job.set,
        ...presignKey,
        triplePartition: job.triplePartition,
        tripleIds: [nonce!.id, multiplication!.id],
      });
      return encodePresignatureShare(share);
    }
    const presignature = await network.startRun(instance, new EddsaPresignProtocol({ keyShare: job.key.share, participants: job.set }), job.set, protocolTimeoutMs, {
      type: 'eddsa-presign',
      instance: instanceHex,
      participants: job.set,
      ...presignKey,
    });
    return encodeEddsaPresignature(presignature);
  }

  /**
   * Takes one triple reserved for a presign run ({@link OwnAssets.reserve}). The reservation is given
   * back only as the triple leaves the count (or the take fails): released before the take, the
   * triple would look free while the delete is under way, and a planning pass in between would
   * reserve it again for a second run, which then found too few (issue 21).
   */
  private async takeReservedTriple(partition: string): Promise<Asset | undefined> {
    try {
      const triple = await this.context.stores.triples.takeAny(partition);
      if (triple !== undefined) this.own.removed(partition);
      return triple;
    } finally {
      this.own.release(partition, 1);
    }
  }

  // ——— counts ———

  /**
   * Reads own counts from the store for the partitions of the current serving state and upcoming
   * parameters, once per change of them ({@link countingBasis}): at start, and whenever the node serves
   * another epoch, set or key. Whatever the order in which a node learns its serving state and starts
   * the stockpile (the node loads its key shares after the first state poll, while the stockpile may
   * already run), stock stored by an earlier process is counted before planning, not made again.
   * Returns the read under way, or undefined when the counts are current.
   */
  private recount(): Promise<void> | undefined {
    const basis = countingBasis(this.context.serving(), this.context.upcoming());
    if (basis !== this.countedBasis) {
      this.countedBasis = basis;
      const counting = this.resync(true).finally(() => {
        if (this.counting === counting) this.counting = undefined;
        this.wake();
      });
      this.counting = counting;
    }
    return this.counting;
  }

  /**
   * Re-reads own counts from the store. With `enumerate`, every partition this node could own under the
   * current serving state and upcoming parameters is counted first (DynamoDB cannot list partitions
   * without a scan); otherwise the partitions known to this process. A count that changed locally during
   * the read is not applied.
   */
  private async resync(enumerate: boolean): Promise<void> {
    const serving = this.context.serving();
    if (enumerate) {
      const upcoming = this.upcomingParameters(serving);
      const partitions = [...(serving === null ? [] : this.partitionsOfSets(serving, serving.keys.values())), ...(upcoming === null ? [] : this.partitionsOfSets(upcoming, []))];
      for (const { owner, partition } of partitions) if (owner === this.context.me) this.own.track(partition);
    }
    await Promise.all(
      this.own.partitions().map(async ({ partition, parsed }) => {
        const version = this.own.version(partition);
        try {
          const store = assetStoreOf(this.context.stores, parsed.kind);
          this.own.resynced(partition, await store.count(partition), version);
        } catch (error) {
          this.context.logger.warn('stockpile count failed', { partition, error: error instanceof Error ? error.message : String(error) });
        }
      }),
    );
    this.publishLevels();
  }

  private publishLevels(): void {
    const serving = this.context.serving();
    if (serving === null) return;
    this.metrics.level.set(this.ownedTriples(serving), { kind: 'triples', domain: '' });
    for (const key of serving.keys.values()) {
      const scheme = SCHEME_OF_CURVE[key.domain.scheme];
      const owned = this.presignaturePartitions(scheme, key).reduce((sum, { partition }) => sum + this.own.count(partition), 0);
      this.metrics.level.set(owned, { kind: scheme, domain: String(key.domain.id) });
      this.metrics.usable.set(this.presignaturesAvailable(key.domain.id), { scheme, domain: String(key.domain.id) });
    }
  }

  // ——— helpers ———

  private servingKey(domainId: number, scheme: PresignatureScheme): ServingKey | undefined {
    const key = this.context.serving()?.keys.get(domainId);
    return key !== undefined && SCHEME_OF_CURVE[key.domain.scheme] === scheme ? key : undefined;
  }

  private partitionOf(scheme: PresignatureScheme, key: ServingKey, set: readonly ParticipantId[]): string {
    return presignaturePartition(scheme, { domainId: key.domain.id, epochId: key.epochId }, this.context.me, set);
  }

  private presignaturePartitions(scheme: PresignatureScheme, key: ServingKey): ReturnType<OwnAssets['partitions']> {
    return this.own.partitions((parsed) => parsed.kind === scheme && parsed.domainId === key.domain.id && parsed.epochId === key.epochId);
  }

  /**
   * Owned triples made for `parameters`: their set has `threshold` members, all of its participants. A
   * resharing to another threshold or set leaves the older ones unusable; counting them against
   * `tripleTarget` would stop triple generation for the new sets for good.
   */
  private ownedTriples(parameters: SetParameters): number {
    return this.own
      .partitions((parsed) => parsed.kind === 'triples' && setFits(parsed.participants, parameters))
      .reduce((sum, { partition }) => sum + this.own.count(partition), 0);
  }

  private addTriplesInFlight(parameters: SetParameters, count: number): void {
    const key = parametersKey(parameters);
    const total = (this.triplesInFlight.get(key) ?? 0) + count;
    if (total > 0) this.triplesInFlight.set(key, total);
    else this.triplesInFlight.delete(key);
  }

  /**
   * Partitions of peers' assets this node may hold shares of and their owners could still use: the
   * running epoch's presignatures and triples of every set with this node in it, and the triples made
   * ahead for the parameters a resharing in progress moves to.
   */
  private followedPartitions(): FollowedPartition[] {
    const serving = this.context.serving();
    const upcoming = this.context.upcoming();
    const followed = new Map<string, FollowedPartition>();
    for (const { owner, partition, kind } of [
      ...(serving === null ? [] : this.partitionsOfSets(serving, serving.keys.values())),
      ...(upcoming === null ? [] : this.partitionsOfSets(upcoming, [])),
    ]) {
      if (owner !== this.context.me) followed.set(partition, { owner, partition, kind });
    }
    return [...followed.values()];
  }

  /**
   * The partition of every asset a set of `parameters` that includes this node can make, each member of
   * the set as owner: the set's triples and, for each of `keys`, its presignatures.
   */
  private partitionsOfSets(parameters: SetParameters, keys: Iterable<ServingKey>): SetPartition[] {
    const keyList = [...keys];
    return this.setsWithMe(parameters).flatMap((set) =>
      set.flatMap((owner) => [
        { owner, kind: 'triples' as const, partition: triplePartition(owner, set) },
        ...keyList.map((key) => ({ owner, kind: 'presignatures' as const, partition: presignaturePartition(SCHEME_OF_CURVE[key.domain.scheme], { domainId: key.domain.id, epochId: key.epochId }, owner, set) })),
      ]),
    );
  }

  /** Every set of `parameters` that includes this node, or none when there are more than {@link MAX_SETS_COUNTED_AT_START}. */
  private setsWithMe(parameters: SetParameters): ParticipantId[][] {
    const others = parameters.participants.filter((id) => id !== this.context.me);
    return (combinations(others, parameters.threshold - 1, MAX_SETS_COUNTED_AT_START) ?? []).map((chosen) => ascending([this.context.me, ...chosen]));
  }

  /** Me and the reachable peers among `parameters`' participants (the running set's by default). */
  private reachableSet(parameters: SetParameters | null = this.context.serving()): Set<ParticipantId> {
    const members = new Set(parameters?.participants ?? []);
    return new Set([this.context.me, ...this.context.network.reachablePeers().filter((id) => members.has(id))]);
  }

  private allReachable(set: readonly ParticipantId[], reachable: ReadonlySet<ParticipantId>): boolean {
    return set.every((id) => reachable.has(id));
  }
}

/** What own counts depend on: the epoch, set and keys served, and the parameters a resharing moves to. */
function countingBasis(serving: ServingState | null, upcoming: SetParameters | null): string {
  const keys = serving === null ? [] : [...serving.keys.values()].map((key) => `${key.domain.id}@${key.epochId}`).sort();
  return JSON.stringify([serving === null ? null : [serving.epochId, parametersKey(serving), keys], upcoming === null ? null : parametersKey(upcoming)]);
}

/** Identifies a participant set's parameters (the triples made for them are interchangeable). */
function parametersKey(parameters: SetParameters): string {
  return `t${parameters.threshold}#${participantSetKey(parameters.participants)}`;
}
