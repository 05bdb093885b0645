/**
 * Node-to-node transport over HTTP: every frame is one `POST /mesh/v1/frame` to the peer URL registered
 * in the contract, sealed by {@link OutboundChannel}. Bad frames are dropped and counted by reason, never
 * crash the node; sends are limited per peer (backpressure) and time-bounded; a ping loop tracks which
 * peers are reachable.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { ParticipantId } from '../../../shared/crypto/protocol.js';
import type { MetricsRegistry } from '../observability/metrics.js';
import { InboundChannels, MeshFrameRejected, OutboundChannel, type MeshIdentity, type PeerKeys } from './channel.js';

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
  readonly maxInFlightPerPeer?: number;
  readonly maxQueuedPerPeer?: number;
  readonly requestTimeoutMs?: number;
  readonly pingIntervalMs?: number;
}

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
const PING_PATH = '/mesh/v1/ping';

/** Per-peer outbound state: the session channel and a counting semaphore. */
class PeerLink {
  readonly channel: OutboundChannel;
  inFlight = 0;
  readonly waiting: Array<() => void> = [];
  reachable = false;

  constructor(
    identity: MeshIdentity,
    readonly peer: MeshPeer,
  ) {
    this.channel = new OutboundChannel(identity, peer);
  }
}

export class MeshTransport {
  private readonly inbound: InboundChannels;
  private readonly links: Map<ParticipantId, PeerLink>;
  private server: Server | undefined;
  private pingTimer: NodeJS.Timeout | undefined;
  private stopped = false;
  private readonly maxFrameBytes: number;
  private readonly maxInFlight: number;
  private readonly maxQueued: number;
  private readonly timeoutMs: number;
  private readonly framesReceived;
  private readonly framesRejected;
  private readonly framesSent;
  private readonly sendFailures;
  private readonly handlerFailures;
  private readonly peersConnected;

  constructor(private readonly options: MeshTransportOptions) {
    const others = options.peers.filter((peer) => peer.id !== options.identity.id);
    this.inbound = new InboundChannels(options.identity, others);
    this.links = new Map(others.map((peer) => [peer.id, new PeerLink(options.identity, peer)]));
    this.maxFrameBytes = options.maxFrameBytes ?? 16 * 1024 * 1024;
    this.maxInFlight = options.maxInFlightPerPeer ?? 32;
    this.maxQueued = options.maxQueuedPerPeer ?? 10_000;
    this.timeoutMs = options.requestTimeoutMs ?? 10_000;
    const metrics = options.metrics;
    this.framesReceived = metrics.counter('mesh_frames_received_total', 'Authenticated frames accepted, by sender');
    this.framesRejected = metrics.counter('mesh_frames_rejected_total', 'Frames dropped, by reason');
    this.framesSent = metrics.counter('mesh_frames_sent_total', 'Frames delivered to a peer, by recipient');
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
    for (const link of this.links.values()) link.waiting.splice(0).forEach((wake) => wake());
    const server = this.server;
    if (server === undefined) return;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  /** Delivers one payload to a peer; resolves once the peer accepted the frame (authenticated it; it handles it right after). */
  async send(to: ParticipantId, payload: Uint8Array): Promise<void> {
    const link = this.links.get(to);
    if (link === undefined) throw new MeshSendError(to, 'unknown-peer', 'not in this node\'s participant set');
    if (this.stopped) throw new MeshSendError(to, 'stopped', 'transport stopped');
    if (link.inFlight >= this.maxInFlight) {
      if (link.waiting.length >= this.maxQueued) {
        this.sendFailures.inc({ to: String(to), reason: 'backpressure' });
        throw new MeshSendError(to, 'backpressure', `${link.waiting.length} sends already queued`);
      }
      await new Promise<void>((resolve) => link.waiting.push(resolve));
      if (this.stopped) throw new MeshSendError(to, 'stopped', 'transport stopped');
    }
    link.inFlight += 1;
    try {
      await this.post(link, link.channel.seal(payload));
      this.framesSent.inc({ to: String(to) });
    } finally {
      link.inFlight -= 1;
      link.waiting.shift()?.();
    }
  }

  /** Peers that answered the most recent ping. */
  reachablePeers(): ParticipantId[] {
    return [...this.links.values()].filter((link) => link.reachable).map((link) => link.peer.id);
  }

  async pingPeers(): Promise<void> {
    await Promise.all(
      [...this.links.values()].map(async (link) => {
        try {
          const response = await fetch(new URL(PING_PATH, link.peer.url), { signal: AbortSignal.timeout(this.timeoutMs) });
          await response.arrayBuffer();
          link.reachable = response.ok;
        } catch {
          link.reachable = false;
        }
      }),
    );
    this.peersConnected.set(this.reachablePeers().length);
  }

  private async post(link: PeerLink, frame: Uint8Array): Promise<void> {
    const to = String(link.peer.id);
    let response: Response;
    try {
      response = await fetch(new URL(FRAME_PATH, link.peer.url), {
        method: 'POST',
        body: frame,
        headers: { 'content-type': 'application/octet-stream' },
        signal: AbortSignal.timeout(this.timeoutMs),
      });
    } catch (error) {
      link.reachable = false;
      this.sendFailures.inc({ to, reason: 'unreachable' });
      throw new MeshSendError(link.peer.id, 'unreachable', (error as Error).message, { cause: error });
    }
    const body = await response.text();
    if (!response.ok) {
      this.sendFailures.inc({ to, reason: 'refused' });
      throw new MeshSendError(link.peer.id, 'refused', `HTTP ${response.status}: ${body.slice(0, 200)}`);
    }
    link.reachable = true;
  }

  private handle(request: IncomingMessage, response: ServerResponse): void {
    if (request.method === 'GET' && request.url === PING_PATH) {
      response.writeHead(200).end('pong');
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
      let opened: { from: ParticipantId; payload: Uint8Array };
      try {
        opened = this.inbound.open(new Uint8Array(Buffer.concat(chunks)));
      } catch (error) {
        const reason = error instanceof MeshFrameRejected ? error.reason : 'malformed';
        this.framesRejected.inc({ reason });
        response.writeHead(400).end(reason);
        return;
      }
      this.framesReceived.inc({ from: String(opened.from) });
      // Acknowledge first, handle after: the sender's send resolves when the frame is accepted, not when
      // this node has computed what it triggers. Handling first would hold every peer's send (and its
      // in-flight slot) behind this node's protocol work — a triple batch round can take seconds — and
      // a peer that waits past its timeout takes this busy node for unreachable. Frames are handled in
      // arrival order, one per macrotask, so timers and other I/O run in between.
      response.writeHead(204).end();
      setImmediate(() => {
        try {
          this.options.onMessage(opened.from, opened.payload);
        } catch {
          this.handlerFailures.inc();
        }
      });
    });
    request.on('error', () => {
      this.framesRejected.inc({ reason: 'aborted' });
    });
  }
}
