/**
 * Node-to-node transport over HTTP: every frame is one `POST /mesh/v1/frame` to the peer URL registered
 * in the contract, sealed by {@link OutboundChannel} to the peer's session prekey, which the sender reads
 * from `GET /mesh/v1/prekey` and verifies under the peer's registered identity key. A peer that restarted
 * refuses frames sealed to its old prekey with 409 (`stale-prekey`); the sender then reads the new prekey
 * and sends the payloads again, once. Payloads sent to one peer wait in its outbox until
 * the next event-loop turn and then travel together in one frame, so that under load the per-request cost
 * (HTTP request and parsing, AES-GCM setup, replay window) is paid per batch, not per message; requests
 * go over pooled keep-alive sockets (./peer-http-client.ts). Bad frames are
 * dropped and counted by reason, never crash the node; frames in flight and payloads queued are limited
 * per peer (backpressure) and time-bounded; a request that cannot reach the peer (or that it answers
 * 429/503) is retried a few times with backoff before the peer counts as unreachable, so that one lost
 * request does not end the runs with it. A ping loop reads every peer's prekey, which tracks which
 * peers are reachable and finds a restarted peer's new prekey before a frame has to be refused. The
 * server does little for a request it has not authenticated: the body is read only once the session
 * header passed the cheap checks and, for a session it has not seen, its signature (channel.ts
 * `admit`), and requests still at that stage are few at a time.
 */
import { bytesToHex, hexToBytes } from '@noble/hashes/utils.js';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { ParticipantId } from '../../../shared/crypto/protocol.js';
import type { MetricsRegistry } from '../observability/metrics.js';
import {
  FRAME_OVERHEAD_BYTES,
  SESSION_HEADER_BYTES,
  InboundChannels,
  MAX_PAYLOADS_PER_FRAME,
  MeshFrameRejected,
  OutboundChannel,
  PAYLOAD_OVERHEAD_BYTES,
  samePeerKeys,
  type MeshIdentity,
  type PeerKeys,
} from './channel.js';
import { PeerHttpClient, type PeerHttpResponse } from './peer-http-client.js';
import { MeshPrekeyRejected, verifySessionPrekey } from './prekey.js';

export interface MeshPeer extends PeerKeys {
  /** Base URL registered in the contract, e.g. `http://127.0.0.1:7001`. */
  readonly url: string;
}

export interface MeshTransportOptions {
  readonly identity: MeshIdentity;
  readonly peers: readonly MeshPeer[];
  readonly listenHost: string;
  readonly listenPort: number;
  /** Called with every authenticated payload; exceptions are counted, never propagated to the peer. */
  readonly onMessage: (from: ParticipantId, payload: Uint8Array) => void;
  readonly metrics: MetricsRegistry;
  readonly maxFrameBytes?: number;
  /** Frames posted to one peer and not yet answered. */
  readonly maxInFlightPerPeer?: number;
  /** Payloads waiting in one peer's outbox; a send beyond it fails with `backpressure`. */
  readonly maxQueuedPerPeer?: number;
  readonly requestTimeoutMs?: number;
  readonly pingIntervalMs?: number;
  /**
   * The waits before each retry of a request that could not reach the peer or that it answered 429/503
   * (one retry per entry); only once they are spent does the peer count as unreachable.
   */
  readonly retryDelaysMs?: readonly number[];
  /** Frame requests whose session header has not been admitted yet, at most; more are answered 503 at once. */
  readonly maxUnadmittedRequests?: number;
  /**
   * Open connections to the mesh server, at most; more are closed at once (`mesh_connections_dropped_total`).
   * Default 1024, far above what the peers keep open (a few keep-alive sockets each).
   */
  readonly maxConnections?: number;
  /** A connection must have sent a request's whole headers within this long, or it gets 408 and is closed. Default 10 s. */
  readonly headersTimeoutMs?: number;
  /** Called when a peer that answered stops answering: a ping or a frame could not reach it, or its prekey does not verify. */
  readonly onPeerLost?: (peer: ParticipantId) => void;
}

/** What {@link MeshTransport.setPeers} changed: peers added or re-registered, and peers no longer listed. */
export interface MeshPeerChanges {
  readonly changed: ParticipantId[];
  readonly removed: ParticipantId[];
}

/**
 * A send failed. `refused`: the peer answered, but the two could not agree on a session: it refused the
 * frame, or this node refused the prekey it serves. `removed`: the peer left the participant set.
 */
export class MeshSendError extends Error {
  constructor(
    readonly to: ParticipantId,
    readonly reason: 'unknown-peer' | 'backpressure' | 'unreachable' | 'refused' | 'removed' | 'stopped',
    detail: string,
    options?: { cause?: unknown },
  ) {
    super(`cannot send to participant ${to} (${reason}): ${detail}`, options);
    this.name = 'MeshSendError';
  }
}

const FRAME_PATH = '/mesh/v1/frame';
const PREKEY_PATH = '/mesh/v1/prekey';
/** The answer to a frame sealed to a prekey the receiver no longer holds: the sender reads the new one. */
const STALE_PREKEY_STATUS = 409;
/** Answers that say "not now" (the peer is busy), not "no": the request is retried like one that got no answer. */
const RETRIED_STATUSES: ReadonlySet<number> = new Set([429, 503]);
/** 1.5 s in all: a dropped request or a peer's short stall costs this much, a dead peer is declared soon after. */
const DEFAULT_RETRY_DELAYS_MS: readonly number[] = [100, 200, 400, 800];
/**
 * Requests at the unauthenticated stage at once, by default. An honest peer's request passes it within
 * its first bytes, so this only limits requests that hold back their header, or a flood of new sessions.
 */
const DEFAULT_MAX_UNADMITTED_REQUESTS = 32;
/**
 * Size a sender fills a frame up to (a larger payload still goes, alone). Large enough to carry a whole
 * turn's protocol and control messages; small enough that a frame uploads well within the request timeout
 * and a failed one takes few sends down with it.
 */
const BATCH_FRAME_BYTES = 1024 * 1024;
/**
 * Frames in flight per peer by default. Few, because whatever is sent while they are out waits in the
 * outbox and leaves in the next frame: under load payloads batch instead of each opening a request. More
 * than one, so that a large frame (a triple round) does not hold up everything sent after it.
 */
const DEFAULT_IN_FLIGHT_PER_PEER = 4;
const DEFAULT_MAX_CONNECTIONS = 1024;
const DEFAULT_HEADERS_TIMEOUT_MS = 10_000;

/** A payload in a peer's outbox and the caller waiting for the frame that will carry it. */
interface PendingSend {
  readonly payload: Uint8Array;
  readonly resolve: () => void;
  readonly reject: (error: unknown) => void;
}

/** Per-peer outbound state: the session to its prekey, the outbox and the frames in flight. */
class PeerLink {
  readonly frameUrl: URL;
  readonly prekeyUrl: URL;
  /** The session to the peer's prekey and the prekey as served; none until it is read, or once the peer called it stale. */
  session: { readonly servedPrekey: string; readonly channel: OutboundChannel } | undefined;
  /** The prekey read under way (a ping's or a send's), which everyone who needs it waits for. */
  prekeyRead: Promise<OutboundChannel> | undefined;
  readonly outbox: PendingSend[] = [];
  flushScheduled = false;
  inFlight = 0;
  reachable = false;
  /** The peer left the participant set: nothing more is sent or retried on this link. */
  removed = false;

  constructor(readonly peer: MeshPeer) {
    this.frameUrl = new URL(FRAME_PATH, peer.url);
    this.prekeyUrl = new URL(PREKEY_PATH, peer.url);
  }
}

export class MeshTransport {
  private readonly inbound: InboundChannels;
  private readonly links: Map<ParticipantId, PeerLink>;
  private server: Server | undefined;
  private pingTimer: NodeJS.Timeout | undefined;
  private stopped = false;
  private readonly maxFrameBytes: number;
  private readonly batchFrameBytes: number;
  private readonly maxInFlight: number;
  private readonly maxQueued: number;
  private readonly timeoutMs: number;
  private readonly retryDelaysMs: readonly number[];
  private readonly maxUnadmitted: number;
  /** Frame requests whose session header is not admitted yet. */
  private unadmitted = 0;
  private readonly client: PeerHttpClient;
  private readonly framesReceived;
  private readonly framesRejected;
  private readonly prekeysRejected;
  private readonly framesSent;
  private readonly payloadsSent;
  private readonly bytesSent;
  private readonly bytesReceived;
  private readonly connectionsDropped;
  private readonly sendFailures;
  private readonly requestRetries;
  private readonly handlerFailures;
  private readonly peersConnected;
  /** Authenticated payloads not handled yet, in arrival order; non-empty exactly while a delivery is scheduled. */
  private readonly deliveries: Array<{ readonly from: ParticipantId; readonly payload: Uint8Array }> = [];

  constructor(private readonly options: MeshTransportOptions) {
    const others = options.peers.filter((peer) => peer.id !== options.identity.id);
    this.inbound = new InboundChannels(options.identity, others);
    this.links = new Map(others.map((peer) => [peer.id, new PeerLink(peer)]));
    this.maxFrameBytes = options.maxFrameBytes ?? 16 * 1024 * 1024;
    this.batchFrameBytes = Math.min(BATCH_FRAME_BYTES, this.maxFrameBytes);
    this.maxInFlight = options.maxInFlightPerPeer ?? DEFAULT_IN_FLIGHT_PER_PEER;
    this.maxQueued = options.maxQueuedPerPeer ?? 10_000;
    this.timeoutMs = options.requestTimeoutMs ?? 10_000;
    this.retryDelaysMs = options.retryDelaysMs ?? DEFAULT_RETRY_DELAYS_MS;
    this.maxUnadmitted = options.maxUnadmittedRequests ?? DEFAULT_MAX_UNADMITTED_REQUESTS;
    // One socket per frame in flight, and one for the ping.
    this.client = new PeerHttpClient(this.maxInFlight + 1);
    const metrics = options.metrics;
    this.framesReceived = metrics.counter('mesh_frames_received_total', 'Authenticated frames accepted, by sender');
    this.framesRejected = metrics.counter('mesh_frames_rejected_total', 'Frames dropped, by reason');
    this.prekeysRejected = metrics.counter('mesh_prekeys_rejected_total', 'Prekeys a peer served that this node does not open sessions to, by peer and reason');
    this.framesSent = metrics.counter('mesh_frames_sent_total', 'Frames delivered to a peer, by recipient');
    this.payloadsSent = metrics.counter('mesh_payloads_sent_total', 'Payloads delivered to a peer (several share a frame under load), by recipient');
    // What the mesh costs in data transfer (docs/cost.md): frame bytes, HTTP headers aside.
    this.bytesSent = metrics.counter('mesh_bytes_sent_total', 'Frame bytes posted to a peer, resent frames included, by recipient');
    this.bytesReceived = metrics.counter('mesh_bytes_received_total', 'Frame bytes of authenticated frames accepted, by sender');
    this.connectionsDropped = metrics.counter('mesh_connections_dropped_total', 'Connections to the mesh server closed at once because maxConnections were open');
    this.sendFailures = metrics.counter('mesh_send_failures_total', 'Sends that failed, by recipient and reason');
    this.requestRetries = metrics.counter('mesh_request_retries_total', 'Requests to a peer sent again after no answer or a 429/503, by recipient and kind (frame, prekey)');
    this.handlerFailures = metrics.counter('mesh_handler_failures_total', 'Authenticated payloads the node could not handle');
    this.peersConnected = metrics.gauge('mesh_peers_connected', 'Peers that answered the last ping');
  }

  async start(): Promise<string> {
    // In the public network mode the server faces the internet (decision 0014): before a request's headers
    // are in, nothing has been checked, so idle and trickling connections are bounded in number and time.
    const headersTimeoutMs = this.options.headersTimeoutMs ?? DEFAULT_HEADERS_TIMEOUT_MS;
    const server = createServer({ connectionsCheckingInterval: Math.min(headersTimeoutMs / 2, 5_000) }, (request, response) => this.handle(request, response));
    server.keepAliveTimeout = 30_000;
    // Set as properties: Node 20 applies these, not the same names among createServer's options.
    server.headersTimeout = headersTimeoutMs;
    server.maxConnections = this.options.maxConnections ?? DEFAULT_MAX_CONNECTIONS;
    server.on('drop', () => this.connectionsDropped.inc());
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.options.listenPort, this.options.listenHost, () => resolve());
    });
    this.server = server;
    const interval = this.options.pingIntervalMs ?? 5000;
    this.pingTimer = setInterval(() => void this.pingPeers(), interval);
    this.pingTimer.unref();
    const { port } = server.address() as AddressInfo;
    return `http://${this.options.listenHost}:${port}`;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.pingTimer);
    for (const link of this.links.values()) {
      for (const pending of link.outbox.splice(0)) pending.reject(new MeshSendError(link.peer.id, 'stopped', 'transport stopped'));
    }
    this.client.destroy();
    const server = this.server;
    if (server === undefined) return;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  /**
   * Delivers one payload to a peer; resolves once the peer accepted the frame that carried it
   * (authenticated it; it handles the payload right after).
   */
  async send(to: ParticipantId, payload: Uint8Array): Promise<void> {
    const link = this.links.get(to);
    if (link === undefined) throw new MeshSendError(to, 'unknown-peer', 'not in this node\'s participant set');
    if (this.stopped) throw new MeshSendError(to, 'stopped', 'transport stopped');
    if (link.outbox.length >= this.maxQueued) {
      this.sendFailures.inc({ to: String(to), reason: 'backpressure' });
      throw new MeshSendError(to, 'backpressure', `${link.outbox.length} sends already queued`);
    }
    await new Promise<void>((resolve, reject) => {
      link.outbox.push({ payload, resolve, reject });
      this.scheduleFlush(link);
    });
  }

  /**
   * Makes `peers` (every participant of the contract's current and proposed sets) the transport's peers.
   * It adds peers it does not know yet, and replaces the registration of a known one whose URL or keys
   * changed (payloads still waiting for it go out under the new one): the set can grow by resharing
   * after the node started. New and replaced peers are pinged at once. A peer not listed left the set:
   * its link goes, its queued sends fail (`removed`) and its frames are refused from now on. Returns the
   * ids added or replaced and the ids removed; the node itself and unchanged peers are in neither.
   */
  setPeers(peers: readonly MeshPeer[]): MeshPeerChanges {
    const listed = new Set(peers.map((peer) => peer.id));
    const removed = [...this.links.values()].filter((link) => !listed.has(link.peer.id));
    for (const link of removed) this.removeLink(link);
    const changed: PeerLink[] = [];
    for (const peer of peers) {
      if (peer.id === this.options.identity.id) continue;
      const known = this.links.get(peer.id);
      if (known !== undefined && known.peer.url === peer.url && samePeerKeys(known.peer, peer)) continue;
      const link = new PeerLink(peer);
      if (known !== undefined) link.outbox.push(...known.outbox.splice(0));
      this.links.set(peer.id, link);
      this.inbound.setPeer(peer);
      changed.push(link);
      if (link.outbox.length > 0) this.scheduleFlush(link);
    }
    if ((changed.length > 0 || removed.length > 0) && !this.stopped) void this.ping(changed);
    return { changed: changed.map((link) => link.peer.id), removed: removed.map((link) => link.peer.id) };
  }

  private removeLink(link: PeerLink): void {
    const id = link.peer.id;
    link.removed = true;
    this.links.delete(id);
    this.inbound.removePeer(id);
    const pending = link.outbox.splice(0);
    if (pending.length > 0) this.sendFailures.inc({ to: String(id), reason: 'removed' }, pending.length);
    for (const send of pending) send.reject(new MeshSendError(id, 'removed', 'left this node\'s participant set'));
  }

  /** Peers that answered the most recent ping. */
  reachablePeers(): ParticipantId[] {
    return [...this.links.values()].filter((link) => link.reachable).map((link) => link.peer.id);
  }

  pingPeers(): Promise<void> {
    return this.ping([...this.links.values()]);
  }

  /** A ping reads the peer's prekey: it answers, and with a prekey this node can open sessions to. */
  private async ping(links: readonly PeerLink[]): Promise<void> {
    await Promise.all(links.map((link) => this.readPrekey(link).catch(() => undefined)));
    this.peersConnected.set(this.reachablePeers().length);
  }

  /** The session to the peer's prekey, reading the prekey first if there is none. */
  private channelOf(link: PeerLink): Promise<OutboundChannel> {
    return link.session === undefined ? this.readPrekey(link) : Promise.resolve(link.session.channel);
  }

  /**
   * Reads the peer's prekey (one read at a time per peer) and opens a session to it if it is new. Throws
   * {@link MeshSendError}; a prekey that does not verify leaves the session as it was and is counted.
   */
  private readPrekey(link: PeerLink): Promise<OutboundChannel> {
    link.prekeyRead ??= this.fetchPrekey(link).finally(() => {
      link.prekeyRead = undefined;
    });
    return link.prekeyRead;
  }

  private async fetchPrekey(link: PeerLink): Promise<OutboundChannel> {
    const response = await this.request(link, link.prekeyUrl);
    if (response.status !== 200) {
      this.setReachable(link, false);
      throw new MeshSendError(link.peer.id, 'refused', `prekey: HTTP ${response.status}: ${response.body.slice(0, 200)}`);
    }
    // A ping reads an unchanged prekey most of the time; only a new one costs a signature check.
    if (link.session?.servedPrekey !== response.body) {
      try {
        link.session = { servedPrekey: response.body, channel: new OutboundChannel(this.options.identity, verifySessionPrekey(hexToBytes(response.body), link.peer)) };
      } catch (error) {
        // Not hex, or not a prekey this node can use.
        const reason = error instanceof MeshPrekeyRejected ? error.reason : 'malformed';
        this.prekeysRejected.inc({ from: String(link.peer.id), reason });
        this.setReachable(link, false);
        throw new MeshSendError(link.peer.id, 'refused', (error as Error).message, { cause: error });
      }
    }
    this.setReachable(link, true);
    return link.session.channel;
  }

  /** Flushes in the next turn, so that everything sent to the peer in this one shares a frame. */
  private scheduleFlush(link: PeerLink): void {
    if (link.flushScheduled) return;
    link.flushScheduled = true;
    setImmediate(() => {
      link.flushScheduled = false;
      while (link.outbox.length > 0 && link.inFlight < this.maxInFlight) void this.sendFrame(link, this.takeBatch(link));
    });
  }

  /** The outbox's oldest payloads that fit one frame of the batch size; always at least one. */
  private takeBatch(link: PeerLink): PendingSend[] {
    let frameBytes = FRAME_OVERHEAD_BYTES;
    let count = 0;
    for (const pending of link.outbox) {
      frameBytes += PAYLOAD_OVERHEAD_BYTES + pending.payload.length;
      if (count > 0 && frameBytes > this.batchFrameBytes) break;
      count += 1;
      if (count === MAX_PAYLOADS_PER_FRAME) break;
    }
    return link.outbox.splice(0, count);
  }

  /** Posts one frame and settles the sends it carries; never rejects. */
  private async sendFrame(link: PeerLink, batch: readonly PendingSend[]): Promise<void> {
    const to = String(link.peer.id);
    link.inFlight += 1;
    try {
      const [first, ...rest] = batch.map((pending) => pending.payload);
      const channel = await this.channelOf(link);
      if ((await this.post(link, channel.seal(first, ...rest))) === 'stale-prekey') {
        // The peer restarted (or renewed its prekey) since its prekey was read: read the new one and seal
        // the payloads to it, once. A frame in flight beside this one may have read it already.
        if (link.session?.channel === channel) link.session = undefined;
        const renewed = await this.channelOf(link);
        if ((await this.post(link, renewed.seal(first, ...rest))) === 'stale-prekey') {
          throw new MeshSendError(link.peer.id, 'refused', 'stale-prekey: the peer refused a frame sealed to the prekey it had just served');
        }
      }
      this.framesSent.inc({ to });
      this.payloadsSent.inc({ to }, batch.length);
      for (const pending of batch) pending.resolve();
    } catch (error) {
      if (error instanceof MeshSendError) this.sendFailures.inc({ to, reason: error.reason }, batch.length);
      for (const pending of batch) pending.reject(error);
    } finally {
      link.inFlight -= 1;
      if (link.outbox.length > 0) this.scheduleFlush(link);
    }
  }

  /** Posts one frame; resolves once the peer accepted it, or said it was sealed to a stale prekey. */
  private async post(link: PeerLink, frame: Uint8Array): Promise<'accepted' | 'stale-prekey'> {
    const response = await this.request(link, link.frameUrl, frame);
    this.bytesSent.inc({ to: String(link.peer.id) }, frame.length * response.attempts);
    if (response.status === STALE_PREKEY_STATUS) return 'stale-prekey';
    // The same bytes went again after an attempt whose answer was lost; a replay then means that attempt arrived.
    const arrivedBefore = response.retried && response.status === 400 && response.body === 'replay';
    if (!arrivedBefore && (response.status < 200 || response.status > 299)) {
      throw new MeshSendError(link.peer.id, 'refused', `HTTP ${response.status}: ${response.body.slice(0, 200)}`);
    }
    this.setReachable(link, true);
    return 'accepted';
  }

  /**
   * A GET, or a POST of `body`, to the peer, retried after each of the retry delays while it gets no
   * answer or a 429/503; one that never reaches it marks the peer unreachable. `retried`: the answer came
   * to a later attempt (an earlier one may have arrived).
   */
  private async request(link: PeerLink, url: URL, body?: Uint8Array): Promise<PeerHttpResponse & { readonly retried: boolean; readonly attempts: number }> {
    const method = body === undefined ? 'GET' : 'POST';
    for (let attempt = 0; ; attempt += 1) {
      let failure: MeshSendError;
      try {
        const response = await this.client.request(url, method, body, this.timeoutMs);
        if (!RETRIED_STATUSES.has(response.status)) return { ...response, retried: attempt > 0, attempts: attempt + 1 };
        failure = new MeshSendError(link.peer.id, 'unreachable', `HTTP ${response.status}: ${response.body.slice(0, 200)}`);
      } catch (error) {
        failure = new MeshSendError(link.peer.id, 'unreachable', (error as Error).message, { cause: error });
      }
      const delay = this.retryDelaysMs[attempt];
      if (delay === undefined) {
        this.setReachable(link, false);
        throw failure;
      }
      this.requestRetries.inc({ to: String(link.peer.id), kind: body === undefined ? 'prekey' : 'frame' });
      await new Promise((resolve) => setTimeout(resolve, delay));
      if (this.stopped) throw new MeshSendError(link.peer.id, 'stopped', 'transport stopped');
      if (link.removed) throw new MeshSendError(link.peer.id, 'removed', 'left this node\'s participant set');
    }
  }

  /** Records whether `link`'s peer answers, and reports a peer that answered and no longer does. */
  private setReachable(link: PeerLink, reachable: boolean): void {
    const lost = link.reachable && !reachable;
    link.reachable = reachable;
    // A link replaced by setPeers, or a stopped transport, has nothing left to report.
    if (lost && !this.stopped && this.links.get(link.peer.id) === link) this.options.onPeerLost?.(link.peer.id);
  }

  private handle(request: IncomingMessage, response: ServerResponse): void {
    if (request.method === 'GET' && request.url === PREKEY_PATH) {
      response.writeHead(200, { 'content-type': 'text/plain' }).end(bytesToHex(this.inbound.signedPrekey));
      return;
    }
    if (request.method !== 'POST' || request.url !== FRAME_PATH) {
      response.writeHead(404).end();
      return;
    }
    this.receiveFrame(request, response);
  }

  /**
   * Reads a frame in two stages. Until its session header is admitted (cheap checks, then the signature
   * for a session not seen yet), at most the header is buffered, the request holds one of the few
   * unadmitted slots, and it has the request timeout to send it. Then the body is read, up to the frame limit.
   */
  private receiveFrame(request: IncomingMessage, response: ServerResponse): void {
    if (Number(request.headers['content-length'] ?? 0) > this.maxFrameBytes) {
      this.refuse(request, response, 'oversize', 413);
      return;
    }
    if (this.unadmitted >= this.maxUnadmitted) {
      this.refuse(request, response, 'busy', 503);
      return;
    }
    this.unadmitted += 1;
    let unadmitted = true;
    const admitted = (): void => {
      if (!unadmitted) return;
      unadmitted = false;
      this.unadmitted -= 1;
      clearTimeout(deadline);
    };
    const deadline = setTimeout(() => {
      admitted();
      this.framesRejected.inc({ reason: 'header-timeout' });
      request.destroy();
    }, this.timeoutMs);
    deadline.unref();
    const chunks: Buffer[] = [];
    let size = 0;
    let refused = false;
    request.on('data', (chunk: Buffer) => {
      if (refused) return;
      size += chunk.length;
      if (size > this.maxFrameBytes) {
        refused = true;
        admitted();
        this.refuse(request, response, 'oversize', 413);
        return;
      }
      chunks.push(chunk);
      if (!unadmitted || size < SESSION_HEADER_BYTES) return;
      admitted();
      try {
        this.inbound.admit(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks));
      } catch (error) {
        refused = true;
        chunks.length = 0;
        this.rejectFrame(response, error);
      }
    });
    request.on('end', () => {
      admitted();
      if (refused) return;
      let opened: { from: ParticipantId; payloads: Uint8Array[] };
      const frame = new Uint8Array(Buffer.concat(chunks));
      try {
        opened = this.inbound.open(frame);
      } catch (error) {
        this.rejectFrame(response, error);
        return;
      }
      this.framesReceived.inc({ from: String(opened.from) });
      this.bytesReceived.inc({ from: String(opened.from) }, frame.length);
      // Acknowledge first, handle after: the sender's send resolves when the frame is accepted, not when
      // this node has computed what it triggers. Handling first would hold every peer's send (and its
      // in-flight slot) behind this node's protocol work — a triple batch round can take seconds — and
      // a peer that waits past its timeout takes this busy node for unreachable.
      response.writeHead(204).end();
      this.deliverInOrder(opened.from, opened.payloads);
    });
    request.on('close', admitted);
    request.on('error', () => {
      admitted();
      this.framesRejected.inc({ reason: 'aborted' });
    });
  }

  /**
   * Answers a frame the channel refused, by reason. A refusal other than `stale-prekey` (which an honest
   * peer that missed a restart gets, and resends after) closes the connection, so the rest of the body is not read.
   */
  private rejectFrame(response: ServerResponse, error: unknown): void {
    const reason = error instanceof MeshFrameRejected ? error.reason : 'malformed';
    this.framesRejected.inc({ reason });
    if (reason === 'stale-prekey') response.writeHead(STALE_PREKEY_STATUS).end(reason);
    else response.writeHead(400, { connection: 'close' }).end(reason);
  }

  /** Refuses a request before reading its body: counted by reason, answered, and the connection closed. */
  private refuse(request: IncomingMessage, response: ServerResponse, reason: 'oversize' | 'busy', status: number): void {
    this.framesRejected.inc({ reason });
    response.writeHead(status, { connection: 'close' }).end(reason);
    if (reason === 'oversize') request.destroy();
  }

  /**
   * Payloads are handled in arrival order (a frame's in the order they were sent), one per macrotask, so
   * that timers and other I/O run in between even when a frame carries many.
   */
  private deliverInOrder(from: ParticipantId, payloads: readonly Uint8Array[]): void {
    const idle = this.deliveries.length === 0;
    for (const payload of payloads) this.deliveries.push({ from, payload });
    if (idle) setImmediate(() => this.deliverNext());
  }

  private deliverNext(): void {
    const { from, payload } = this.deliveries[0]!;
    try {
      this.options.onMessage(from, payload);
    } catch {
      this.handlerFailures.inc();
    }
    this.deliveries.shift();
    if (this.deliveries.length > 0) setImmediate(() => this.deliverNext());
  }
}
