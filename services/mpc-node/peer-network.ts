/**
 * The node's connection to its peers: the mesh transport, the protocol router that runs sans-IO
 * protocol instances over it, and the control channel, sharing one payload stream (first byte:
 * {@link MESH_PAYLOAD_KIND}). Built the same way by the node's main and by in-process test clusters.
 */
import type { ParticipantId, Protocol } from '../../shared/crypto/protocol.js';
import { ControlChannel, MESH_PAYLOAD_KIND, meshPayload, RunRefused, type ControlMessage } from './control.js';
import type { MeshIdentity } from './mesh/channel.js';
import { MeshSendError, MeshTransport, type MeshPeer, type MeshTransportOptions } from './mesh/transport.js';
import type { MetricsRegistry } from './observability/metrics.js';
import { ProtocolRouter, type InstanceId } from './protocol-router.js';

export interface PeerNetworkOptions {
  readonly identity: MeshIdentity;
  /** Every participant the node may run protocols with (itself included or not). */
  readonly peers: readonly MeshPeer[];
  readonly listenHost: string;
  readonly listenPort: number;
  readonly metrics: MetricsRegistry;
  /** A peer's control message was refused or its handler failed (log it; it is counted already). */
  readonly onControlRefused: (error: unknown, from: ParticipantId, type: string) => void;
  readonly pingIntervalMs?: number;
  /** Waits before each retry of a request that got no answer; see {@link MeshTransportOptions.retryDelaysMs}. */
  readonly retryDelaysMs?: readonly number[];
  readonly requestTimeoutMs?: number;
}

const SWEEP_INTERVAL_MS = 5_000;

/** A run ended because one of its participants stopped answering on the mesh. */
export class ParticipantUnreachable extends Error {
  constructor(readonly participant: ParticipantId) {
    super(`participant ${participant} stopped answering on the mesh`);
    this.name = 'ParticipantUnreachable';
  }
}

/** A run ended because one of its participants left the participant set (the contract no longer names it). */
export class ParticipantRemoved extends Error {
  constructor(readonly participant: ParticipantId) {
    super(`participant ${participant} left the participant set`);
    this.name = 'ParticipantRemoved';
  }
}

export class PeerNetwork {
  readonly me: ParticipantId;
  readonly transport: MeshTransport;
  readonly router: ProtocolRouter;
  readonly control: ControlChannel;
  private sweepTimer: NodeJS.Timeout | undefined;
  private stopping = false;
  private readonly peerLostListeners: Array<(peer: ParticipantId) => void> = [];
  private readonly peerRemovedListeners: Array<(peer: ParticipantId) => void> = [];

  constructor(options: PeerNetworkOptions) {
    this.me = options.identity.id;
    const dropped = options.metrics.counter('mesh_payloads_dropped_total', 'Authenticated payloads dropped, by reason');
    this.transport = new MeshTransport({
      identity: options.identity,
      peers: options.peers,
      listenHost: options.listenHost,
      listenPort: options.listenPort,
      metrics: options.metrics,
      ...(options.pingIntervalMs !== undefined ? { pingIntervalMs: options.pingIntervalMs } : {}),
      ...(options.retryDelaysMs !== undefined ? { retryDelaysMs: options.retryDelaysMs } : {}),
      ...(options.requestTimeoutMs !== undefined ? { requestTimeoutMs: options.requestTimeoutMs } : {}),
      onPeerLost: (peer) => this.peerLost(peer),
      onMessage: (from, payload) => {
        const body = payload.subarray(1);
        if (payload[0] === MESH_PAYLOAD_KIND.protocolFrame) this.router.deliver(from, body);
        else if (payload[0] === MESH_PAYLOAD_KIND.control) this.control.receive(from, body);
        else dropped.inc({ reason: 'unknown-kind' });
      },
    });
    this.router = new ProtocolRouter({
      me: this.me,
      dropped,
      send: (to, frame) => this.transport.send(to, meshPayload(MESH_PAYLOAD_KIND.protocolFrame, frame)),
    });
    this.control = new ControlChannel({
      me: this.me,
      send: (to, payload) => this.transport.send(to, payload),
      rejected: options.metrics.counter('control_messages_rejected_total', 'Control messages dropped or refused, by reason'),
      onRefused: options.onControlRefused,
    });
    this.control.on('run-refused', async (from, message) => {
      this.router.abortByParticipant(Buffer.from(message.instance, 'hex'), from, new RunRefused(from, message.instance, message.reason));
    });
  }

  async start(): Promise<string> {
    const url = await this.transport.start();
    this.sweepTimer = setInterval(() => this.router.sweep(), SWEEP_INTERVAL_MS);
    this.sweepTimer.unref();
    void this.transport.pingPeers();
    return url;
  }

  /**
   * Starts a run this node owns: `start` (the control message naming the run) goes to the other
   * participants, and the protocol runs at once, without waiting for the message to be acknowledged — no
   * participant's protocol message can come before it. A send that fails ends the run, as that
   * participant's refusal would.
   */
  startRun<Output>(instance: InstanceId, protocol: Protocol<Output>, participants: readonly ParticipantId[], timeoutMs: number, start: ControlMessage): Promise<Output> {
    const others = participants.filter((id) => id !== this.me);
    this.control.sendTo(others, start).catch((error: unknown) => {
      const reason = error instanceof Error ? error : new Error(String(error));
      this.router.abortByParticipant(instance, error instanceof MeshSendError ? error.to : others[0]!, reason);
    });
    return this.router.run(instance, protocol, participants, timeoutMs);
  }

  /** Calls `listener` with each peer that stops answering, after the runs it took part in were ended. */
  onPeerLost(listener: (peer: ParticipantId) => void): void {
    this.peerLostListeners.push(listener);
  }

  /**
   * A peer stopped answering (ping or frame): every run it takes part in ends now, as a send to it
   * would end it, instead of waiting for the protocol timeout on a message that will not come.
   */
  private peerLost(peer: ParticipantId): void {
    this.router.abortRunsWith(peer, new ParticipantUnreachable(peer));
    for (const listener of this.peerLostListeners) listener(peer);
  }

  /** Calls `listener` with each peer {@link setPeers} removed, after the runs it took part in were ended. */
  onPeerRemoved(listener: (peer: ParticipantId) => void): void {
    this.peerRemovedListeners.push(listener);
  }

  /**
   * Makes `peers` (every participant of the current and proposed sets) the node's peers: participants
   * added or re-registered after the start are linked, and a peer not listed any more is removed — its
   * runs end ({@link ParticipantRemoved}), its pending sends fail and its frames are refused (counted as
   * `removed-sender`). Returns the ids that were new or changed; removed ones go to {@link onPeerRemoved}.
   */
  setPeers(peers: readonly MeshPeer[]): ParticipantId[] {
    const { changed, removed } = this.transport.setPeers(peers);
    for (const peer of removed) {
      this.router.abortRunsWith(peer, new ParticipantRemoved(peer));
      for (const listener of this.peerRemovedListeners) listener(peer);
    }
    return changed;
  }

  /** Peers that answered the last ping or the last frame sent to them. */
  reachablePeers(): ParticipantId[] {
    return this.transport.reachablePeers();
  }

  /** True once {@link stop} was called: nothing more is sent or received. */
  get stopped(): boolean {
    return this.stopping;
  }

  async stop(reason: Error = new Error('the node is stopping')): Promise<void> {
    this.stopping = true;
    clearInterval(this.sweepTimer);
    this.router.abortAll(reason);
    await this.transport.stop();
  }
}
