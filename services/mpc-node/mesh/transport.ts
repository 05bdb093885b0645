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
 * per peer (backpressure) and time-bounded; a ping loop reads every peer's prekey, which tracks which
 * peers are reachable and finds a restarted peer's new prekey before a frame has to be refused.
 */
import { bytesToHex, hexToBytes } from '@noble/hashes/utils.js';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { ParticipantId } from '../../../shared/crypto/protocol.js';
import type { MetricsRegistry } from '../observability/metrics.js';
import {
  FRAME_OVERHEAD_BYTES,
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
  /** Called when a peer that answered stops answering: a ping or a frame could not reach it, or its prekey does not verify. */
  readonly onPeerLost?: (peer: ParticipantId) => void;
}

/**
 * A send failed. `refused`: the peer answered, but the two could not agree on a session: it refused the
 * frame, or this node refused the prekey it serves.
 */
export class MeshSendError extends Error {
  constructor(
    readonly to: ParticipantId,
    readonly reason: 'unknown-peer' | 'backpressure' | 'unreachable' | 'refused' | 'stopped',
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
  private readonly client: PeerHttpClient;
  private readonly framesReceived;
  private readonly framesRejected;
  private readonly prekeysRejected;
  private readonly framesSent;
  private readonly payloadsSent;
  private readonly sendFailures;
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
    // One socket per frame in flight, and one for the ping.
    this.client = new PeerHttpClient(this.maxInFlight + 1);
    const metrics = options.metrics;
    this.framesReceived = metrics.counter('mesh_frames_received_total', 'Authenticated frames accepted, by sender');
    this.framesRejected = metrics.counter('mesh_frames_rejected_total', 'Frames dropped, by reason');
    this.prekeysRejected = metrics.counter('mesh_prekeys_rejected_total', 'Prekeys a peer served that this node does not open sessions to, by peer and reason');
    this.framesSent = metrics.counter('mesh_frames_sent_total', 'Frames delivered to a peer, by recipient');
    this.payloadsSent = metrics.counter('mesh_payloads_sent_total', 'Payloads delivered to a peer (several share a frame under load), by recipient');
    this.sendFailures = metrics.counter('mesh_send_failures_total', 'Sends that failed, by recipient and reason');
    this.handlerFailures = metrics.counter('mesh_handler_failures_total', 'Authenticated payloads the node could not handle');
    this.peersConnected = metrics.gauge('mesh_peers_connected', 'Peers that answered the last ping');
  }

  async start(): Promise<string> {
    const server = createServer((request, response) => this.handle(request, response));
    server.keepAliveTimeout = 30_000;
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
   * Adds peers the transport does not know yet, and replaces the registration of a known one whose URL or
   * keys changed (payloads still waiting for it go out under the new one): the contract's participant set
   * can grow by resharing after the node started. New and replaced peers are pinged at once. Returns
   * their ids; the node itself and unchanged peers are skipped.
   */
  setPeers(peers: readonly MeshPeer[]): ParticipantId[] {
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
    if (changed.length > 0 && !this.stopped) void this.ping(changed);
    return changed.map((link) => link.peer.id);
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
    if (response.status === STALE_PREKEY_STATUS) return 'stale-prekey';
    if (response.status < 200 || response.status > 299) {
      throw new MeshSendError(link.peer.id, 'refused', `HTTP ${response.status}: ${response.body.slice(0, 200)}`);
    }
    this.setReachable(link, true);
    return 'accepted';
  }

  /** A GET, or a POST of `body`, to the peer; one that cannot reach it marks the peer unreachable. */
  private async request(link: PeerLink, url: URL, body?: Uint8Array): Promise<PeerHttpResponse> {
    try {
      return await this.client.request(url, body === undefined ? 'GET' : 'POST', body, this.timeoutMs);
    } catch (error) {
      this.setReachable(link, false);
      throw new MeshSendError(link.peer.id, 'unreachable', (error as Error).message, { cause: error });
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
    const chunks: Buffer[] = [];
    let size = 0;
    let refused = false;
    request.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > this.maxFrameBytes && !refused) {
        refused = true;
        this.framesRejected.inc({ reason: 'oversize' });
        response.writeHead(413, { connection: 'close' }).end('frame too large');
        request.destroy();
        return;
      }
      if (!refused) chunks.push(chunk);
    });
    request.on('end', () => {
      if (refused) return;
      let opened: { from: ParticipantId; payloads: Uint8Array[] };
      try {
        opened = this.inbound.open(new Uint8Array(Buffer.concat(chunks)));
      } catch (error) {
        const reason = error instanceof MeshFrameRejected ? error.reason : 'malformed';
        this.framesRejected.inc({ reason });
        response.writeHead(reason === 'stale-prekey' ? STALE_PREKEY_STATUS : 400).end(reason);
        return;
      }
      this.framesReceived.inc({ from: String(opened.from) });
      // Acknowledge first, handle after: the sender's send resolves when the frame is accepted, not when
      // this node has computed what it triggers. Handling first would hold every peer's send (and its
      // in-flight slot) behind this node's protocol work — a triple batch round can take seconds — and
      // a peer that waits past its timeout takes this busy node for unreachable.
      response.writeHead(204).end();
      this.deliverInOrder(opened.from, opened.payloads);
    });
    request.on('error', () => {
      this.framesRejected.inc({ reason: 'aborted' });
    });
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
