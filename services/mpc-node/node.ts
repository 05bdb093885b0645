/**
 * One MPC node: the long-lived process each operator runs (Fargate on AWS, a child process in the
 * devnet). It finds itself in the contract's participant set, joins the mesh, follows the contract's
 * state (key events → DKG/reshare and votes; Running → serve), keeps its stockpile filled, and answers
 * the requests its own indexer puts in its queue. `stop()` is graceful: no new work is taken, requests
 * not being signed go back to the queue, runs in progress finish or time out, nothing is half-stored.
 */
import type { Logger } from '@aws-lambda-powertools/logger';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { SQSClient } from '@aws-sdk/client-sqs';
import { ed25519 } from '@noble/curves/ed25519.js';
import { bytesToHex, hexToBytes } from '@noble/hashes/utils.js';
import { ascending } from '../../shared/crypto/protocol.js';
import { parsePublicKey, tlsPublicKeyOf } from '../../shared/near/keys.js';
import type { ParticipantEntry } from '../../shared/near/signer-abi.js';
import { MpcSignerClient, type Chain } from './chain/chain.js';
import { participantEntries, type ContractView, type UnservedDomain } from './chain/contract-state.js';
import type { ReshareJob, ServeJob } from './chain/jobs.js';
import { ParticipantRegistration } from './chain/participant-registration.js';
import { StateSync, type StateChange } from './chain/state-sync.js';
import type { NodeConfig } from './config.js';
import { KeyLifecycle, ServingKeyLoader } from './key-lifecycle/index.js';
import type { MeshIdentity } from './mesh/channel.js';
import type { NodeContext, ServingKey, ServingState, SetParameters } from './node-context.js';
import { EmfMetricsPublisher, type EmfOutput } from './observability/emf.js';
import { EventLoopLag } from './observability/event-loop-lag.js';
import { LoopWatch, type HealthCheck } from './observability/health.js';
import { startNodeHttpServer, type NodeHttpServer } from './observability/http-server.js';
import { MetricsRegistry } from './observability/metrics.js';
import { meshPeersOf, type UnusableParticipant } from './mesh-peers.js';
import { PeerNetwork } from './peer-network.js';
import { SqsSignRequestInbox } from './signing/request-inbox.js';
import { SignatureService } from './signing/signature-service.js';
import { Stockpile } from './stockpile/index.js';
import { DemandTracker, stockpileTarget, type StockpilePolicySource } from './stockpile-policy.js';
import { DynamoAssetStore } from './storage/asset-store.js';
import type { DataKeyProvider } from './storage/data-keys.js';
import { DynamoKeyShareStore } from './storage/key-share-store.js';
import { Sealer } from './storage/sealer.js';
import { StorageMetrics } from './storage/storage-metrics.js';

export interface MpcNodeDependencies {
  readonly config: NodeConfig;
  readonly chain: Chain;
  readonly dynamodb: DynamoDBClient;
  readonly sqs: SQSClient;
  readonly dataKeys: DataKeyProvider;
  readonly stockpilePolicy: StockpilePolicySource;
  readonly logger: Logger;
  /** Where CloudWatch EMF lines go (stdout in the node). */
  readonly emfOutput?: EmfOutput;
  /** Aborting it before the node started ends the start with {@link NodeStartAborted} (a stop while waiting to be voted in). */
  readonly signal?: AbortSignal;
  /** Health limits (observability/health.ts); tests shorten them. */
  readonly health?: Partial<HealthLimits>;
}

export interface HealthLimits {
  /** Liveness fails once a watched loop (the contract poll, the queue receive) has not turned for this long. */
  readonly loopSilenceMs: number;
  /** Readiness fails once the last successful contract-state read is older than this. */
  readonly stateStaleMs: number;
}

const DEFAULT_HEALTH_LIMITS: HealthLimits = {
  // Far beyond a poll (1 s) or a long-poll receive (20 s), and beyond the RPC client's retries: only a
  // loop stuck for minutes is worth a restart.
  loopSilenceMs: 180_000,
  stateStaleMs: 30_000,
};

/** The node was told to stop before it had started (while it waited to become a participant). */
export class NodeStartAborted extends Error {
  constructor(readonly accountId: string) {
    super(`node ${accountId}: stopped before it became a participant`);
    this.name = 'NodeStartAborted';
  }
}

/** This node's account is not (or no longer) a participant, or its registered mesh keys are not its own. */
export class NodeRegistrationError extends Error {
  constructor(
    readonly accountId: string,
    detail: string,
  ) {
    super(`node ${accountId}: ${detail}`);
    this.name = 'NodeRegistrationError';
  }
}

const EMF_FLUSH_MS = 60_000;
const RECEIVE_BATCH = 10;
const RECEIVE_RETRY_MS = 1_000;
/** Longest wait between two looks at the contract while this account is not a participant yet. */
const PARTICIPATION_POLL_MAX_MS = 2_000;
/** The loops liveness watches (observability/health.ts). */
const CONTRACT_POLL_LOOP = 'contract-poll';
/** How often the event-loop lag gauge is published. */
const EVENT_LOOP_WINDOW_MS = 10_000;
const RECEIVE_LOOP = 'sign-request-receive';

const sleep = (ms: number, signal?: AbortSignal) =>
  new Promise<void>((resolve) => {
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });

/** A 32-byte secret from the environment's hex (an optional `0x`, as config.ts accepts). */
const hexSecret = (hex: string): Uint8Array => hexToBytes(hex.replace(/^0x/, ''));

/** MESH_LISTEN's `host:port` (config.ts checked the form). */
function parseListen(listen: string): { host: string; port: number } {
  const colon = listen.lastIndexOf(':');
  return { host: listen.slice(0, colon), port: Number(listen.slice(colon + 1)) };
}

/** Logs a list when it differs from the one before, so a steady state is logged once, not on every change; an empty list is remembered, not logged. */
class ListChangeLog<T> {
  private last = '[]';

  constructor(private readonly log: (list: readonly T[]) => void) {}

  report(list: readonly T[]): void {
    const text = JSON.stringify(list);
    if (text === this.last) return;
    this.last = text;
    if (list.length > 0) this.log(list);
  }
}

export class MpcNode {
  private stopping = false;
  private stopped: Promise<void> | undefined;
  private serving: ServingState | null = null;
  private upcoming: SetParameters | null = null;
  private readonly unservedLog: ListChangeLog<UnservedDomain>;
  private readonly unusableLog: ListChangeLog<UnusableParticipant>;
  private readonly receiveAbort = new AbortController();
  private readonly servingEpoch;
  private readonly domainsGauge;
  private readonly unusableGauge;
  private readonly stateChangesFailed;
  private receiving: Promise<void> = Promise.resolve();
  private emfTimer: NodeJS.Timeout | undefined;

  private constructor(
    private readonly deps: MpcNodeDependencies,
    readonly context: NodeContext,
    private readonly stateSync: StateSync,
    private readonly registration: ParticipantRegistration,
    private readonly keyLifecycle: KeyLifecycle,
    private readonly servingKeys: ServingKeyLoader,
    private readonly stockpile: Stockpile,
    private readonly signatures: SignatureService,
    private readonly inbox: SqsSignRequestInbox,
    private readonly demand: DemandTracker,
    private readonly emf: EmfMetricsPublisher,
    private readonly operations: { readonly http: NodeHttpServer; readonly loops: LoopWatch; readonly eventLoopLag: EventLoopLag },
  ) {
    const { metrics } = context;
    this.servingEpoch = metrics.gauge('node_serving_epoch', 'The key epoch this node signs with (-1 while it serves none)');
    this.servingEpoch.set(-1);
    this.domainsGauge = metrics.gauge('node_domains', 'Domains of the contract, by whether this node signs for them (served) or not (unserved)');
    this.unusableGauge = metrics.gauge('node_participants_unusable', 'Participant entries whose mesh URL or key this node cannot use (left out of the mesh)');
    this.stateChangesFailed = metrics.counter('node_state_changes_failed_total', 'Contract state changes whose handling threw (logged; the next change is handled as usual)');
    const { logger } = context;
    this.unservedLog = new ListChangeLog((unserved) => logger.warn('the contract has domains this node does not sign for (docs/decisions/0009-unserved-domains.md)', { unserved }));
    this.unusableLog = new ListChangeLog((unusable) => logger.error('the contract names participants this node cannot reach on the mesh; serving the others', { unusable }));
  }

  /**
   * Starts everything; resolves once the node is polling the contract, on the mesh and consuming its
   * queue. The operations endpoint comes up first: a node waiting to be voted in is live (not ready), so
   * its orchestrator leaves it running.
   */
  static async start(deps: MpcNodeDependencies): Promise<MpcNode> {
    const { config, logger } = deps;
    const limits = { ...DEFAULT_HEALTH_LIMITS, ...deps.health };
    const metrics = new MetricsRegistry();
    const loops = new LoopWatch();
    loops.watch(CONTRACT_POLL_LOOP, limits.loopSilenceMs);
    const eventLoopLag = new EventLoopLag(metrics);
    eventLoopLag.start(EVENT_LOOP_WINDOW_MS);
    const listen = parseListen(config.MESH_LISTEN);
    // The node once it exists: the readiness checks and the services' callbacks reach it through this.
    const holder: { node?: MpcNode } = {};
    const http = await startNodeHttpServer({
      host: listen.host === '127.0.0.1' ? '127.0.0.1' : '0.0.0.0',
      port: config.HTTP_PORT,
      metrics,
      liveness: () => [loops.asCheck()],
      readiness: () =>
        holder.node?.readinessChecks(limits) ?? [{ name: 'participant', check: () => ({ ok: false, detail: `waiting to be a participant of ${config.MPC_CONTRACT_ID}` }) }],
    });
    logger.info('operations endpoint listening', { http: http.url });
    try {
      return await MpcNode.startParticipant(deps, { metrics, loops, limits, http, eventLoopLag, listen, holder });
    } catch (error) {
      eventLoopLag.stop();
      await http.stop();
      throw error;
    }
  }

  private static async startParticipant(
    deps: MpcNodeDependencies,
    setup: {
      metrics: MetricsRegistry;
      loops: LoopWatch;
      limits: HealthLimits;
      http: NodeHttpServer;
      eventLoopLag: EventLoopLag;
      listen: { host: string; port: number };
      holder: { node?: MpcNode };
    },
  ): Promise<MpcNode> {
    const { config, logger } = deps;
    const { metrics, loops, limits, http, listen, holder } = setup;
    const contract = new MpcSignerClient(deps.chain);
    const identitySecretKey = hexSecret(config.MESH_SIGN_SECRET_KEY);
    const tlsPublicKey = tlsPublicKeyOf(identitySecretKey);
    const registration = new ParticipantRegistration({ contract, tlsPublicKey, checkIntervalMs: config.REGISTRATION_CHECK_MS, logger });
    const view = await MpcNode.waitForParticipation(contract, registration, deps, () => loops.beat(CONTRACT_POLL_LOOP));
    const entries = participantEntries(view);
    const mine = entries.find(([account]) => account === config.NODE_ACCOUNT_ID)!;
    const identity = { id: mine[1], identitySecretKey };
    MpcNode.checkMeshKeys(mine, identity);

    const storageMetrics = new StorageMetrics(metrics);
    storageMetrics.observeDynamoDb(deps.dynamodb);
    const sealer = new Sealer(deps.dataKeys, { metrics: storageMetrics });
    const { peers, unusable } = meshPeersOf(entries);
    const network = new PeerNetwork({
      identity,
      peers,
      listenHost: listen.host,
      listenPort: listen.port,
      metrics,
      onControlRefused: (error, from, type) => logger.warn('control message refused', { from, type, error: error instanceof Error ? error.message : String(error) }),
    });
    const context: NodeContext = {
      me: mine[1],
      accountId: config.NODE_ACCOUNT_ID,
      network,
      stores: {
        keyShares: new DynamoKeyShareStore(deps.dynamodb, config.KEY_SHARES_TABLE, sealer, storageMetrics),
        triples: new DynamoAssetStore(deps.dynamodb, config.TRIPLES_TABLE, sealer, { metrics: storageMetrics }),
        presignatures: new DynamoAssetStore(deps.dynamodb, config.PRESIGNATURES_TABLE, sealer, { metrics: storageMetrics }),
      },
      contract,
      metrics,
      logger,
      protocolTimeoutMs: config.PROTOCOL_TIMEOUT_MS,
      serving: () => holder.node?.serving ?? null,
      upcoming: () => holder.node?.upcoming ?? null,
    };
    // A domain whose share could not be read (DynamoDB or KMS error) is read again with backoff.
    const servingKeys = new ServingKeyLoader({ context, onReloaded: (job, keys) => holder.node?.servingKeysReloaded(job, keys) });
    const demand = new DemandTracker();
    const emf = new EmfMetricsPublisher({ namespace: config.METRICS_NAMESPACE, ...(deps.emfOutput !== undefined ? { output: deps.emfOutput } : {}) });
    const inbox = new SqsSignRequestInbox({ sqs: deps.sqs, queueUrl: config.SIGN_REQUESTS_QUEUE_URL, contractId: config.MPC_CONTRACT_ID });
    // The presignature target follows demand (re-read on every planning pass); the triple bound and the
    // generation concurrency are the policy's ceilings, fixed at start.
    const presignatureTarget = () => {
      const policy = deps.stockpilePolicy.policy();
      return stockpileTarget(policy, demand.rate(Date.now(), policy.demandWindowSeconds));
    };
    const startPolicy = deps.stockpilePolicy.policy();
    const stockpile = new Stockpile({
      context,
      presignatureTarget,
      tripleTarget: Math.max(config.TRIPLE_BATCH_SIZE, deps.stockpilePolicy.tripleTarget(startPolicy.maxPresignatures)),
      maxConcurrentGenerations: startPolicy.maxGenerationConcurrency,
      tripleBatchSize: config.TRIPLE_BATCH_SIZE,
      signingBusy: () => signatures.pendingCount > 0,
    });
    const signatures: SignatureService = new SignatureService({
      context,
      messages: inbox,
      presignatures: stockpile,
      takeoverMs: config.SIGN_TAKEOVER_MS,
      maxConcurrent: config.MAX_CONCURRENT_SIGNATURES,
      onAnswered: (latencyMs) => emf.recordSignLatency(latencyMs),
    });
    const keyLifecycle = new KeyLifecycle({ context });
    const statePollsFailed = metrics.counter('node_contract_state_polls_failed_total', 'Contract-state polls that failed, by error (ChainUnavailable: the RPC; others: an unreadable state)');
    const stateAge = metrics.gauge('node_contract_state_age_seconds', 'Seconds since the last successful contract-state read, as of the last poll (grows through an RPC outage)');
    const stateSync: StateSync = new StateSync({
      contract,
      accountId: config.NODE_ACCOUNT_ID,
      intervalMs: config.STATE_POLL_MS,
      onChange: (change) => holder.node?.applyState(change),
      onError: (error) => {
        statePollsFailed.inc({ error: error instanceof Error ? error.name : 'unknown' });
        logger.warn('contract state poll failed', { error: error instanceof Error ? error.message : String(error) });
      },
      onPollEnded: () => {
        loops.beat(CONTRACT_POLL_LOOP);
        if (stateSync.lastReadAt !== null) stateAge.set(Math.round((Date.now() - stateSync.lastReadAt) / 1000));
      },
    });
    const started = new MpcNode(deps, context, stateSync, registration, keyLifecycle, servingKeys, stockpile, signatures, inbox, demand, emf, {
      http,
      loops,
      eventLoopLag: setup.eventLoopLag,
    });
    holder.node = started;
    started.reportUnusable(unusable);

    // The contract no longer names it, so the id is all there is to log.
    network.onPeerRemoved((participant) => logger.info('mesh peer removed: it left the participant set', { participant }));
    const meshUrl = await network.start();
    logger.info('mesh listening', { participant: mine[1], meshUrl, registeredUrl: mine[2].url, peers: peers.length - 1 });
    stateSync.start();
    registration.start();
    await stateSync.pollNow();
    await stockpile.start();
    loops.watch(RECEIVE_LOOP, limits.loopSilenceMs);
    started.receiving = started.receiveLoop();
    started.emfTimer = setInterval(() => started.flushEmf(), EMF_FLUSH_MS);
    started.emfTimer.unref();
    logger.info('node started', { participant: mine[1], http: http.url });
    return started;
  }

  /**
   * Registers this node once the contract is initialized (the others can only vote in a registered
   * node), then polls until the contract names this account. `turned` is called after every look.
   */
  private static async waitForParticipation(contract: MpcSignerClient, registration: ParticipantRegistration, deps: MpcNodeDependencies, turned: () => void): Promise<ContractView> {
    const { config, logger, signal } = deps;
    const describe = (error: unknown) => (error instanceof Error ? error.message : String(error));
    for (let attempt = 1; ; attempt += 1) {
      if (signal?.aborted === true) throw new NodeStartAborted(config.NODE_ACCOUNT_ID);
      let view: ContractView | undefined;
      try {
        view = await contract.state();
      } catch (error) {
        logger.warn('cannot read the contract state yet', { attempt, error: describe(error) });
      }
      if (view?.phase === 'NotInitialized' && attempt === 1) logger.warn('the signer contract is not initialized yet; waiting', { contract: config.MPC_CONTRACT_ID });
      if (view !== undefined && view.phase !== 'NotInitialized') {
        try {
          if (!registration.isRegistered) await registration.register();
          if (participantEntries(view).some(([account]) => account === config.NODE_ACCOUNT_ID)) return view;
          if (attempt === 1) logger.warn('this account is not a participant of the contract yet; waiting', { contract: config.MPC_CONTRACT_ID });
        } catch (error) {
          logger.warn('registering with the signer contract failed; will try again', { attempt, error: describe(error) });
        }
      }
      turned();
      // Not much slower than the running node's poll: once voted in, the others reshare to this node, and
      // each attempt it misses is aborted and retried.
      await sleep(Math.min(PARTICIPATION_POLL_MAX_MS, config.STATE_POLL_MS * attempt), signal);
    }
  }

  private static checkMeshKeys([account, , info]: ParticipantEntry, identity: MeshIdentity): void {
    const identityPublic = ed25519.getPublicKey(identity.identitySecretKey);
    if (bytesToHex(parsePublicKey(info.tls_public_key, 'ed25519').point.toBytes()) !== bytesToHex(identityPublic)) {
      throw new NodeRegistrationError(account, 'MESH_SIGN_SECRET_KEY does not match the tls_public_key registered in the contract');
    }
  }

  /** A new contract state (StateSync's listener): never throws, so one bad state cannot end the process. */
  private applyState(change: StateChange): void {
    this.applyStateChange(change).catch((error: unknown) => {
      this.stateChangesFailed.inc();
      this.context.logger.error('handling a contract state change failed', { error: error instanceof Error ? (error.stack ?? error.message) : String(error) });
    });
  }

  /** Refreshes what this node serves and hands key events to the lifecycle. */
  private async applyStateChange(change: StateChange): Promise<void> {
    const { logger } = this.context;
    this.updateMeshPeers(change.view);
    const serve = change.jobs.find((job): job is ServeJob => job.kind === 'serve');
    this.unservedLog.report(serve?.unserved ?? []);
    this.domainsGauge.set(serve?.domains.length ?? 0, { state: 'served' });
    this.domainsGauge.set(serve?.unserved.length ?? 0, { state: 'unserved' });
    try {
      this.serving = serve === undefined ? null : await this.servingStateOf(serve);
    } catch (error) {
      logger.error('could not load the key shares to serve with', { error: error instanceof Error ? error.message : String(error) });
    }
    const reshare = change.jobs.find((job): job is ReshareJob => job.kind === 'reshare');
    this.upcoming = reshare === undefined ? null : { participants: ascending(reshare.participants.map(([, id]) => id)), threshold: reshare.threshold };
    this.servingEpoch.set(this.serving?.epochId ?? -1);
    // Levels and planning follow the epoch at once (a new epoch's presignatures start from none).
    this.stockpile.wake();
    this.keyLifecycle.onStateChange(change);
  }

  /** Counts the participant entries the mesh cannot use, and logs them whenever that list changes. */
  private reportUnusable(unusable: readonly UnusableParticipant[]): void {
    this.unusableGauge.set(unusable.length);
    this.unusableLog.report(unusable);
  }

  /** Links to participants a resharing adds (or whose registration changed) once the contract names them. */
  private updateMeshPeers(view: ContractView): void {
    const entries = participantEntries(view);
    const { peers, unusable } = meshPeersOf(entries);
    this.reportUnusable(unusable);
    const changed = this.context.network.setPeers(peers);
    if (changed.length === 0) return;
    const accounts = entries.filter(([, id]) => changed.includes(id)).map(([account, id, info]) => ({ account, participant: id, url: info.url }));
    this.context.logger.info('mesh peers added or updated', { peers: accounts });
  }

  private async servingStateOf(job: ServeJob): Promise<ServingState> {
    const keys = await this.servingKeys.load(job);
    return {
      epochId: job.epochId,
      participants: ascending(job.participants.map(([, id]) => id)),
      threshold: job.threshold,
      keys,
      ...(job.responders !== undefined ? { responders: ascending(job.responders) } : {}),
    };
  }

  /** A retry loaded shares that failed before: serve with them if the epoch is still the one served. */
  private servingKeysReloaded(job: ServeJob, keys: ReadonlyMap<number, ServingKey>): void {
    if (this.serving === null || this.serving.epochId !== job.epochId) return;
    this.serving = { ...this.serving, keys };
    this.stockpile.wake();
  }

  private async receiveLoop(): Promise<void> {
    const { logger } = this.context;
    const unreadable = this.context.metrics.counter('sign_requests_unreadable_total', 'Queue messages that are not sign requests (left for the dead-letter queue)');
    while (!this.stopping) {
      this.operations.loops.beat(RECEIVE_LOOP);
      if (this.signatures.pendingCount >= this.deps.config.MAX_CONCURRENT_SIGNATURES * 4) {
        await sleep(50);
        continue;
      }
      try {
        const received = await this.inbox.receive(RECEIVE_BATCH, this.receiveAbort.signal);
        for (const error of received.unreadable) {
          unreadable.inc();
          logger.error('unreadable sign request message', { error: error.message });
        }
        for (const message of received.messages) {
          this.demand.record(Date.now());
          this.signatures.accept(message);
        }
      } catch (error) {
        if (this.stopping) return;
        logger.warn('receiving sign requests failed; retrying', { error: error instanceof Error ? error.message : String(error) });
        await sleep(RECEIVE_RETRY_MS);
      }
    }
  }

  private flushEmf(): void {
    const domains = [...(this.serving?.keys.keys() ?? [])];
    this.emf.setPresignaturesAvailable(domains.reduce((total, domainId) => total + this.stockpile.presignaturesAvailable(domainId), 0));
    this.emf.flush();
  }

  /** Whether this node can sign now (observability/health.ts): each check names what is missing. */
  private readinessChecks(limits: HealthLimits): HealthCheck[] {
    return [
      {
        name: 'contract-state',
        check: () => {
          const age = Date.now() - (this.stateSync.lastReadAt ?? 0);
          return age <= limits.stateStaleMs ? { ok: true } : { ok: false, detail: `contract state last read ${Math.round(age / 1000)} s ago` };
        },
      },
      {
        name: 'keys',
        check: () => {
          const serve = this.stateSync.latest?.jobs.find((job): job is ServeJob => job.kind === 'serve');
          if (serve === undefined) return { ok: false, detail: `no epoch to sign in yet (contract ${this.stateSync.latest?.view.phase ?? 'not read yet'})` };
          if (this.serving?.epochId !== serve.epochId) return { ok: false, detail: `the key shares of epoch ${serve.epochId} are not loaded` };
          return { ok: true };
        },
      },
      {
        name: 'mesh',
        check: () => {
          const threshold = this.serving?.threshold ?? 2;
          const reachable = this.context.network.reachablePeers().length;
          return reachable + 1 >= threshold ? { ok: true } : { ok: false, detail: `${reachable} peers reachable, signing needs ${threshold - 1}` };
        },
      },
      { name: 'stopping', check: () => (this.stopping ? { ok: false, detail: 'the node is shutting down' } : { ok: true }) },
    ];
  }

  /** Graceful stop (SIGTERM): idempotent. */
  stop(): Promise<void> {
    this.stopped ??= this.shutdown();
    return this.stopped;
  }

  private async shutdown(): Promise<void> {
    const { logger } = this.context;
    this.stopping = true;
    // A stop ends the loops on purpose: the node stays live while it drains.
    this.operations.loops.unwatch(RECEIVE_LOOP);
    this.operations.loops.unwatch(CONTRACT_POLL_LOOP);
    logger.info('stopping: no new requests; handing back queued ones');
    this.receiveAbort.abort();
    await this.receiving;
    await this.signatures.stop();
    // Stockpile runs are dropped, not awaited: an asset is stored only once its run finished, so nothing
    // is lost but the run, and peers stopping at the same moment would never finish them (a graceful
    // stop of the whole network waited for its time limit).
    this.stockpile.pause();
    await this.stateSync.stop();
    this.servingKeys.stop();
    await this.registration.stop();
    // Key-event runs end with the network too: one waiting for peers (a superseded attempt's, or one
    // whose peers stop as well) would otherwise hold the stop to its protocol timeout.
    const keyEventsStopped = this.keyLifecycle.stop();
    await this.context.network.stop();
    await keyEventsStopped;
    await this.stockpile.stop();
    clearInterval(this.emfTimer);
    this.flushEmf();
    this.operations.eventLoopLag.stop();
    await this.operations.http.stop();
    logger.info('stopped');
  }
}
