/**
 * The follower side: a peer (the owner) asks this node to join a triple batch or a presign run. The
 * request is checked in full before anything is taken or run; every refusal is a
 * {@link StockpileRequestRefused} thrown back to the control channel, which counts and logs it.
 * Shares are stored under the owner's partition and the id the owner chose, so the owner can name
 * them later; this node never spends them on its own initiative.
 */
import { encodeTriple, decodeTriple, EcdsaPresign, encodePresignatureShare, type Triple } from '../../../shared/crypto/ecdsa/index.js';
import { generateTriples } from '../../../shared/crypto/ecdsa/triples/index.js';
import { EddsaPresignProtocol, encodeEddsaPresignature } from '../../../shared/crypto/eddsa/presign.js';
import { ascending, type ParticipantId } from '../../../shared/crypto/protocol.js';
import { presignaturePartition, tripleId, triplePartition } from '../assets.js';
import type { ControlMessageOf } from '../control.js';
import { assetStoreOf, setFits, type NodeContext, type ServingKey, type ServingState, type SetParameters } from '../node-context.js';
import { StockpileRequestRefused } from './errors.js';
import type { StockpileMetrics } from './metrics.js';
import { setBounded } from '../bounded-map.js';

/**
 * How many follower runs this node takes at once; requests beyond are refused, so peers cannot make it run
 * unbounded work. Triple batches (seconds of CPU each) and presign runs (milliseconds) have their own
 * slots, so a node busy with batches still joins the presign runs that turn its stock into presignatures;
 * within each, one owner gets at most `maxRunsPerOwner`, so no single peer can take the slots the others
 * need (an honest owner runs at most its own `maxConcurrentGenerations` of any kind at once).
 */
export interface FollowerLimits {
  readonly maxTripleRuns: number;
  readonly maxPresignRuns: number;
  readonly maxRunsPerOwner: number;
  /** Largest triple batch this node joins. */
  readonly maxBatchSize: number;
}

type FollowerPool = 'triples' | 'presign';

/** Runs under way in one pool: all of them, and per owner. */
class PoolOccupancy {
  total = 0;
  private readonly byOwner = new Map<ParticipantId, number>();

  of(owner: ParticipantId): number {
    return this.byOwner.get(owner) ?? 0;
  }

  add(owner: ParticipantId, delta: 1 | -1): void {
    this.total += delta;
    const next = this.of(owner) + delta;
    if (next === 0) this.byOwner.delete(owner);
    else this.byOwner.set(owner, next);
  }
}

type StockpileRequest = ControlMessageOf<'triples'> | ControlMessageOf<'ecdsa-presign'> | ControlMessageOf<'eddsa-presign'>;

/** Instance ids remembered to refuse a replayed request before anything is taken (the router refuses too, later). */
const REMEMBERED_INSTANCES = 16_384;
/**
 * Runs whose stored shares (and owners' drops not matched yet) are remembered for `shares-dropped`. An
 * owner drops within its protocol timeout of the run, so recent runs are enough.
 */
const REMEMBERED_STORED_RUNS = 4_096;

/** What this node stored as a follower of one run: enough to delete it again. */
interface StoredRun {
  readonly owner: ParticipantId;
  readonly kind: 'triples' | 'presignatures';
  readonly partition: string;
  /** Triples of the batch (ids `tripleId(instance, i)`); a presignature is one item under the instance id. */
  readonly count: number;
}

/** The ids of a run's shares: a batch's triples are `tripleId(instance, i)`, a presignature is the instance id. */
function shareIds(instance: string, run: StoredRun): string[] {
  return run.kind === 'presignatures' ? [instance] : Array.from({ length: run.count }, (_, i) => tripleId(instance, i));
}

/** The checks every request passes against the parameters its set must fit; returns the set, ascending. */
export function checkRequestedSet<P extends SetParameters>(me: ParticipantId, from: ParticipantId, request: StockpileRequest, parameters: P | null): { set: ParticipantId[]; parameters: P } {
  const refuse = (reason: string): never => {
    throw new StockpileRequestRefused(from, request.type, request.instance, reason);
  };
  if (parameters === null) return refuse(request.type === 'triples' ? 'this node serves no key and no resharing is under way' : 'this node serves no key yet');
  const set = ascending(request.participants);
  if (new Set(set).size !== set.length) refuse('the participant set has duplicates');
  if (set.length !== parameters.threshold) refuse(`the set has ${set.length} participants, the threshold is ${parameters.threshold}`);
  if (!set.includes(from)) refuse('the requesting owner is not in the set');
  if (!set.includes(me)) refuse(`participant ${me} is not in the set`);
  if (from === me) refuse('a request from this node itself');
  const members = new Set(parameters.participants);
  for (const id of set) if (!members.has(id)) refuse(`participant ${id} is not in the participant set`);
  return { set, parameters };
}

/**
 * The parameters a triple batch is checked against: triples do not depend on a key, so besides the
 * running set's they may be for the set a resharing in progress moves to (made ahead of its epoch).
 * Falls back to the running set's, whose check then says why the request does not fit.
 */
function tripleParameters(request: ControlMessageOf<'triples'>, serving: ServingState | null, upcoming: SetParameters | null): SetParameters | null {
  const fits = (parameters: SetParameters | null): parameters is SetParameters =>
    parameters !== null && parameters.threshold === request.threshold && setFits(request.participants, parameters);
  return [serving, upcoming].find(fits) ?? serving ?? upcoming;
}

/** The key a presign request names, if it is the one this node serves for that domain with that scheme. */
export function checkRequestedKey(from: ParticipantId, request: ControlMessageOf<'ecdsa-presign'> | ControlMessageOf<'eddsa-presign'>, serving: ServingState): ServingKey {
  const key = serving.keys.get(request.domainId);
  const scheme = request.type === 'ecdsa-presign' ? 'Secp256k1' : 'Ed25519';
  const refuse = (reason: string): never => {
    throw new StockpileRequestRefused(from, request.type, request.instance, reason);
  };
  if (key === undefined) return refuse(`this node holds no key for domain ${request.domainId}`);
  if (key.domain.scheme !== scheme) refuse(`domain ${request.domainId} is ${key.domain.scheme}, not ${scheme}`);
  if (key.epochId !== request.epochId) refuse(`epoch ${request.epochId} is not the served epoch ${key.epochId}`);
  return key;
}

export class StockpileFollower {
  private readonly seen = new Set<string>();
  private readonly storedRuns = new Map<string, StoredRun>();
  /** `shares-dropped` notices that came before this node had stored the run: instance → who sent it. */
  private readonly earlyDrops = new Map<string, ParticipantId>();
  private idleWaiters: (() => void)[] = [];
  private readonly pools: Readonly<Record<FollowerPool, PoolOccupancy>> = { triples: new PoolOccupancy(), presign: new PoolOccupancy() };

  constructor(
    private readonly context: NodeContext,
    private readonly limits: FollowerLimits,
    private readonly metrics: StockpileMetrics,
  ) {}

  register(): void {
    const control = this.context.network.control;
    control.on('triples', (from, message) => this.handle(from, message));
    control.on('ecdsa-presign', (from, message) => this.handle(from, message));
    control.on('eddsa-presign', (from, message) => this.handle(from, message));
    control.on('shares-dropped', (from, message) => this.onSharesDropped(from, message.instance));
  }

  /** Follower runs under way, of both kinds. */
  get runningCount(): number {
    return this.pools.triples.total + this.pools.presign.total;
  }

  /** Resolves once no follower run is under way. */
  async idle(): Promise<void> {
    while (this.runningCount > 0) await new Promise<void>((resolve) => this.idleWaiters.push(resolve));
  }

  private async handle(from: ParticipantId, request: StockpileRequest): Promise<void> {
    const refuse = (reason: string): never => {
      throw new StockpileRequestRefused(from, request.type, request.instance, reason);
    };
    let set: ParticipantId[];
    let key: ServingKey | undefined;
    if (request.type === 'triples') {
      const checked = checkRequestedSet(this.context.me, from, request, tripleParameters(request, this.context.serving(), this.context.upcoming()));
      set = checked.set;
      if (request.threshold !== checked.parameters.threshold) refuse(`threshold ${request.threshold} is not the threshold ${checked.parameters.threshold}`);
      if (request.batchSize > this.limits.maxBatchSize) refuse(`batch size ${request.batchSize} exceeds ${this.limits.maxBatchSize}`);
    } else {
      const checked = checkRequestedSet(this.context.me, from, request, this.context.serving());
      set = checked.set;
      key = checkRequestedKey(from, request, checked.parameters);
    }
    if (request.type === 'ecdsa-presign') {
      if (request.triplePartition !== triplePartition(from, set)) refuse(`triple partition ${request.triplePartition} is not the owner's partition for this set`);
      if (request.tripleIds[0] === request.tripleIds[1]) refuse('the nonce and multiplication triples are the same');
    }
    if (this.seen.has(request.instance)) refuse('instance already ran here');
    const poolName: FollowerPool = request.type === 'triples' ? 'triples' : 'presign';
    const pool = this.pools[poolName];
    const poolLimit = poolName === 'triples' ? this.limits.maxTripleRuns : this.limits.maxPresignRuns;
    if (pool.total >= poolLimit) refuse(`already running ${pool.total} ${poolName} follower runs`);
    if (pool.of(from) >= this.limits.maxRunsPerOwner) refuse(`already running ${pool.of(from)} ${poolName} follower runs for participant ${from}`);
    // From here on the slot and the instance id are claimed synchronously, before any await.
    this.remember(request.instance);
    pool.add(from, 1);
    this.metrics.started(request.type, 'follower');
    try {
      await this.run(from, request, set, key);
      this.metrics.succeeded(request.type, 'follower');
    } catch (error) {
      this.metrics.failed(request.type, 'follower', error);
      throw error;
    } finally {
      pool.add(from, -1);
      if (this.runningCount === 0) for (const wake of this.idleWaiters.splice(0)) wake();
    }
  }

  private remember(instance: string): void {
    this.seen.add(instance);
    if (this.seen.size > REMEMBERED_INSTANCES) this.seen.delete(this.seen.values().next().value!);
  }

  private async run(from: ParticipantId, request: StockpileRequest, set: ParticipantId[], key: ServingKey | undefined): Promise<void> {
    const { me, network, protocolTimeoutMs } = this.context;
    const instance = Uint8Array.from(Buffer.from(request.instance, 'hex'));
    if (request.type === 'triples') {
      const triples = await network.router.run(
        instance,
        generateTriples({ participants: set, me, threshold: request.threshold, batchSize: request.batchSize, sessionId: instance }),
        set,
        protocolTimeoutMs,
      );
      await this.storeShares(request.instance, { owner: from, kind: 'triples', partition: triplePartition(from, set), count: triples.length }, set, triples.map(encodeTriple));
      return;
    }
    const keyShare = key!.share;
    const presignKey = { domainId: request.domainId, epochId: request.epochId };
    if (request.type === 'ecdsa-presign') {
      const [nonce, multiplication] = await this.takeNamedTriples(from, request);
      const share = await network.router.run(instance, new EcdsaPresign({ participants: set, keyShare, nonceTriple: nonce, multiplicationTriple: multiplication }), set, protocolTimeoutMs);
      const partition = presignaturePartition('ecdsa', presignKey, from, set);
      await this.storeShares(request.instance, { owner: from, kind: 'presignatures', partition, count: 1 }, set, [encodePresignatureShare(share)]);
      return;
    }
    const presignature = await network.router.run(instance, new EddsaPresignProtocol({ keyShare, participants: set }), set, protocolTimeoutMs);
    const partition = presignaturePartition('eddsa', presignKey, from, set);
    await this.storeShares(request.instance, { owner: from, kind: 'presignatures', partition, count: 1 }, set, [encodeEddsaPresignature(presignature)]);
  }

  /** Stores this node's shares of a run it followed and, unless its owner dropped the run meanwhile, confirms them to the owner. */
  private async storeShares(instance: string, run: StoredRun, participants: readonly ParticipantId[], payloads: readonly Uint8Array[]): Promise<void> {
    const store = assetStoreOf(this.context.stores, run.kind);
    const ids = shareIds(instance, run);
    await Promise.all(payloads.map((payload, i) => store.put({ partition: run.partition, id: ids[i]!, participants, payload })));
    this.context.logger.debug('stockpile follower stored shares', { owner: run.owner, instance, kind: run.kind, partition: run.partition, count: ids.length });
    if (await this.keepUnlessDropped(instance, run)) await this.confirmStored(run.owner, instance);
  }

  /**
   * Keeps what was just stored for `instance`, or deletes it again at once if its owner dropped the
   * run meanwhile (its notice came before the store finished). Returns whether the shares are kept.
   */
  private async keepUnlessDropped(instance: string, run: StoredRun): Promise<boolean> {
    if (this.earlyDrops.get(instance) === run.owner) {
      this.earlyDrops.delete(instance);
      await this.deleteShares(instance, run);
      return false;
    }
    setBounded(this.storedRuns, instance, run, REMEMBERED_STORED_RUNS);
    return true;
  }

  /**
   * The owner of a run this node followed did not keep its shares (`shares-dropped`): ours would never
   * be named again, so they go. Only the run's owner can drop it.
   */
  private async onSharesDropped(from: ParticipantId, instance: string): Promise<void> {
    const run = this.storedRuns.get(instance);
    if (run === undefined) {
      // Not stored (yet): the run may still be storing; keepUnlessDropped looks here.
      setBounded(this.earlyDrops, instance, from, REMEMBERED_STORED_RUNS);
      return;
    }
    if (run.owner !== from) throw new StockpileRequestRefused(from, 'shares-dropped', instance, `the run belongs to participant ${run.owner}`);
    this.storedRuns.delete(instance);
    await this.deleteShares(instance, run);
    this.context.logger.info('stockpile follower dropped the shares of a run its owner did not keep', { owner: from, instance, partition: run.partition, count: run.count });
  }

  private async deleteShares(instance: string, run: StoredRun): Promise<void> {
    const store = assetStoreOf(this.context.stores, run.kind);
    await Promise.all(shareIds(instance, run).map((id) => store.take(run.partition, id)));
  }

  /** Tells the owner this node stored its shares; without it the owner drops its own (./stored-confirmations.ts). */
  private async confirmStored(owner: ParticipantId, instance: string): Promise<void> {
    await this.context.network.control.sendTo([owner], { type: 'shares-stored', instance }).catch((error: unknown) => {
      this.context.logger.warn('could not confirm stored shares to their owner', { owner, instance, error: String(error) });
    });
  }

  /**
   * Takes both named triples (invariant 2: before any share derived from them leaves this node). If
   * either is missing — never had, or already used — the run is refused; the other one stays taken,
   * which is safe: the owner has taken its own share of it, so it is dead everywhere.
   */
  private async takeNamedTriples(from: ParticipantId, request: ControlMessageOf<'ecdsa-presign'>): Promise<[Triple, Triple]> {
    const store = this.context.stores.triples;
    const taken = await Promise.all(request.tripleIds.map((id) => store.take(request.triplePartition, id)));
    const missing = request.tripleIds.filter((_, i) => taken[i] === undefined);
    if (missing.length > 0) throw new StockpileRequestRefused(from, request.type, request.instance, `triple ${missing.join(', ')} is not here (never stored, or already used)`);
    return [decodeTriple(taken[0]!.payload), decodeTriple(taken[1]!.payload)];
  }
}
