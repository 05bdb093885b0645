import { hexToBytes } from '@noble/hashes/utils.js';
import { request as httpRequest, type ClientRequest } from 'node:http';
import { connect } from 'node:net';
import { ByteWriter } from '../../../shared/codec/binary.js';
import { MetricsRegistry } from '../observability/metrics.js';
import { generateMeshIdentity, OutboundChannel, SESSION_HEADER_BYTES } from './channel.js';
import { verifySessionPrekey } from './prekey.js';
import { MeshSendError, MeshTransport, type MeshPeer, type MeshTransportOptions } from './transport.js';

const [node0, node1, node2] = [0, 1, 2].map((id) => generateMeshIdentity(id));
const encode = (text: string) => new TextEncoder().encode(text);
const decode = (bytes: Uint8Array) => new TextDecoder().decode(bytes);
/** Where a peer that is never sent to "listens". */
const UNUSED_URL = 'http://127.0.0.1:9';

/** The value of one rendered series (`name{labels}`), 0 if it was never set. */
function metric(metrics: MetricsRegistry, series: string): number {
  const line = metrics.render().split('\n').find((candidate) => candidate.startsWith(`${series} `));
  return line === undefined ? 0 : Number(line.slice(series.length + 1));
}

async function until(condition: () => boolean, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

/** Lets a receiver handle whatever it has accepted (it handles one payload per macrotask). */
const settle = () => new Promise((resolve) => setTimeout(resolve, 50));

interface Receiver {
  readonly transport: MeshTransport;
  readonly metrics: MetricsRegistry;
  readonly url: string;
  /** Handled payloads and, as `tick`, macrotasks its handler scheduled. */
  readonly log: Array<{ from: number; payload: Uint8Array } | 'tick'>;
  readonly texts: () => string[];
}

describe('mesh transport batching (HTTP on 127.0.0.1)', () => {
  const started: MeshTransport[] = [];
  afterEach(async () => {
    await Promise.all(started.splice(0).map((transport) => transport.stop()));
  });

  /** Node 1, listening (knowing `peers`, by default node 0); its handler schedules a `tick` macrotask after each payload. */
  async function startReceiver(peers: readonly MeshPeer[] = [{ ...node0!.keys, url: UNUSED_URL }], listenPort = 0, options: Partial<MeshTransportOptions> = {}): Promise<Receiver> {
    const metrics = new MetricsRegistry();
    const log: Receiver['log'] = [];
    const transport = new MeshTransport({
      identity: node1!.identity,
      peers,
      listenHost: '127.0.0.1',
      listenPort,
      metrics,
      pingIntervalMs: 60_000,
      onMessage: (from, payload) => {
        log.push({ from, payload });
        setImmediate(() => log.push('tick'));
      },
      ...options,
    });
    started.push(transport);
    const url = await transport.start();
    const texts = () => log.flatMap((entry) => (entry === 'tick' ? [] : [decode(entry.payload)]));
    return { transport, metrics, url, log, texts };
  }

  /** Node 0, sending to node 1 at `url`; it never listens (sending needs no server). */
  function sender(url: string, options: Partial<MeshTransportOptions> = {}): { transport: MeshTransport; metrics: MetricsRegistry } {
    const metrics = new MetricsRegistry();
    const peers: MeshPeer[] = [{ ...node1!.keys, url }];
    const transport = new MeshTransport({
      identity: node0!.identity,
      peers,
      listenHost: '127.0.0.1',
      listenPort: 0,
      metrics,
      onMessage: () => undefined,
      ...options,
    });
    started.push(transport);
    return { transport, metrics };
  }

  const postFrame = (url: string, frame: Uint8Array) => fetch(new URL('/mesh/v1/frame', url), { method: 'POST', body: frame });
  /** A session from node 0 to the prekey node 1 serves at `url`, as the sender opens it. */
  const sessionTo = async (url: string) => {
    const served = await (await fetch(new URL('/mesh/v1/prekey', url))).text();
    return new OutboundChannel(node0!.identity, verifySessionPrekey(hexToBytes(served), node1!.keys));
  };

  it('sends of one turn travel as one frame; each resolves; the peer handles them in order, one per macrotask', async () => {
    const receiver = await startReceiver();
    const { transport, metrics } = sender(receiver.url);
    const words = ['a', 'b', 'c', 'd', 'e'];
    await expect(Promise.all(words.map((word) => transport.send(1, encode(word))))).resolves.toEqual(words.map(() => undefined));
    await until(() => receiver.log.length === 2 * words.length);
    expect(metric(metrics, 'mesh_frames_sent_total{to="1"}')).toBe(1);
    expect(metric(metrics, 'mesh_payloads_sent_total{to="1"}')).toBe(words.length);
    expect(metric(receiver.metrics, 'mesh_frames_received_total{from="0"}')).toBe(1);
    // A macrotask scheduled by one payload's handler runs before the next payload is handled.
    expect(receiver.log.map((entry) => (entry === 'tick' ? entry : decode(entry.payload)))).toEqual(words.flatMap((word) => [word, 'tick']));
    expect(receiver.log.every((entry) => entry === 'tick' || entry.from === 0)).toBe(true);
  });

  it('sends a payload larger than the batch size in a frame of its own', async () => {
    const receiver = await startReceiver();
    const { transport, metrics } = sender(receiver.url);
    const large = new Uint8Array(Buffer.alloc(1536 * 1024, 'mesh'));
    await Promise.all([transport.send(1, large), transport.send(1, encode('after'))]);
    await until(() => receiver.texts().length === 2);
    expect(metric(receiver.metrics, 'mesh_frames_received_total{from="0"}')).toBe(2);
    // Bytes on the wire: both frames, the large one at least the payload, counted alike on both ends.
    const sentBytes = metric(metrics, 'mesh_bytes_sent_total{to="1"}');
    expect(sentBytes).toBeGreaterThan(large.length);
    expect(metric(receiver.metrics, 'mesh_bytes_received_total{from="0"}')).toBe(sentBytes);
    const handled = receiver.log.flatMap((entry) => (entry === 'tick' ? [] : [entry.payload]));
    // Compared as a Buffer: jest's deep equality walks a 1.5 MiB array element by element for seconds.
    expect(handled.some((payload) => Buffer.from(large).equals(payload))).toBe(true);
    expect(receiver.texts()).toContain('after');
  });

  it('queues behind the in-flight limit and sends the queue as one frame when the frame in flight completes', async () => {
    const receiver = await startReceiver();
    const { transport, metrics } = sender(receiver.url, { maxInFlightPerPeer: 1 });
    const first = transport.send(1, encode('first'));
    // The flush ran (its immediate was queued before this one): `first` is in flight.
    await new Promise((resolve) => setImmediate(resolve));
    const queued = ['q1', 'q2', 'q3'].map((word) => transport.send(1, encode(word)));
    await Promise.all([first, ...queued]);
    await until(() => receiver.texts().length === 4);
    expect(receiver.texts()).toEqual(['first', 'q1', 'q2', 'q3']);
    expect(metric(metrics, 'mesh_frames_sent_total{to="1"}')).toBe(2);
  });

  it('fails sends beyond the queue bound with backpressure; the queued ones still go', async () => {
    const receiver = await startReceiver();
    const { transport, metrics } = sender(receiver.url, { maxQueuedPerPeer: 2 });
    const sends = ['a', 'b', 'c'].map((word) => transport.send(1, encode(word)));
    const [a, b, c] = await Promise.allSettled(sends);
    expect([a!.status, b!.status]).toEqual(['fulfilled', 'fulfilled']);
    expect(c).toMatchObject({ status: 'rejected', reason: { name: 'MeshSendError', reason: 'backpressure' } });
    expect(metric(metrics, 'mesh_send_failures_total{reason="backpressure",to="1"}')).toBe(1);
    await until(() => receiver.texts().length === 2);
    expect(receiver.texts()).toEqual(['a', 'b']);
  });

  it('rejects the sends still queued when stopped, and every send after', async () => {
    const receiver = await startReceiver();
    const { transport } = sender(receiver.url);
    const sends = Promise.allSettled(['a', 'b'].map((word) => transport.send(1, encode(word))));
    await transport.stop();
    const results = await sends;
    for (const result of results) expect(result).toMatchObject({ status: 'rejected', reason: { name: 'MeshSendError', reason: 'stopped' } });
    await expect(transport.send(1, encode('late'))).rejects.toMatchObject({ reason: 'stopped' });
    await settle();
    expect(receiver.log).toEqual([]);
    expect(metric(receiver.metrics, 'mesh_frames_received_total{from="0"}')).toBe(0);
  });

  it('rejects every send a frame carried when the peer cannot be reached, and counts each', async () => {
    const gone = await startReceiver();
    await gone.transport.stop();
    const { transport, metrics } = sender(gone.url, { requestTimeoutMs: 2_000 });
    const results = await Promise.allSettled(['a', 'b'].map((word) => transport.send(1, encode(word))));
    for (const result of results) expect(result).toMatchObject({ status: 'rejected', reason: { name: 'MeshSendError', reason: 'unreachable' } });
    expect(metric(metrics, 'mesh_send_failures_total{reason="unreachable",to="1"}')).toBe(2);
    await expect(transport.send(7, encode('x'))).rejects.toBeInstanceOf(MeshSendError);
  });

  it('refuses a malformed batch inside an authentic frame, counts it, and handles none of it', async () => {
    const receiver = await startReceiver();
    const channel = await sessionTo(receiver.url);
    const malformed = [
      new ByteWriter().u32(0).finish(),
      new ByteWriter().u32(3).bytes(encode('a')).bytes(encode('b')).finish(),
      new ByteWriter().u32(2).bytes(encode('a')).u32(1000).fixed(encode('b')).finish(),
      new ByteWriter().u32(1).bytes(encode('a')).u8(7).finish(),
    ];
    for (const body of malformed) {
      const response = await postFrame(receiver.url, channel.sealBody(body));
      expect({ status: response.status, body: await response.text() }).toEqual({ status: 400, body: 'malformed' });
    }
    await settle();
    expect(receiver.log).toEqual([]);
    expect(metric(receiver.metrics, 'mesh_frames_rejected_total{reason="malformed"}')).toBe(malformed.length);
    expect(metric(receiver.metrics, 'mesh_frames_received_total{from="0"}')).toBe(0);
    // The session still works.
    expect((await postFrame(receiver.url, channel.seal(encode('fine')))).status).toBe(204);
    await until(() => receiver.texts().length === 1);
    expect(receiver.texts()).toEqual(['fine']);
  });

  it('refuses a replayed batch', async () => {
    const receiver = await startReceiver();
    const frame = (await sessionTo(receiver.url)).seal(encode('x'), encode('y'));
    expect((await postFrame(receiver.url, frame)).status).toBe(204);
    const replay = await postFrame(receiver.url, frame);
    expect({ status: replay.status, body: await replay.text() }).toEqual({ status: 400, body: 'replay' });
    await settle();
    expect(receiver.texts()).toEqual(['x', 'y']);
    expect(metric(receiver.metrics, 'mesh_frames_rejected_total{reason="replay"}')).toBe(1);
  });

  describe('a receiver that restarts (a new process: a new prekey)', () => {
    /** Node 1 again on the same URL, once the sender saw its old connections close (a process takes longer to restart). */
    async function restart(receiver: Receiver): Promise<Receiver> {
      await receiver.transport.stop();
      await settle();
      return startReceiver(undefined, Number(new URL(receiver.url).port));
    }

    it('refuses what was sent to its old prekey; the sender reads the new one and sends the payloads again, once', async () => {
      const receiver = await startReceiver();
      const { transport, metrics } = sender(receiver.url);
      await transport.send(1, encode('before'));
      const captured = (await sessionTo(receiver.url)).seal(encode('captured'));
      expect((await postFrame(receiver.url, captured)).status).toBe(204);

      const restarted = await restart(receiver);
      await expect(Promise.all([transport.send(1, encode('after')), transport.send(1, encode('and more'))])).resolves.toEqual([undefined, undefined]);
      await until(() => restarted.texts().length === 2);
      expect(restarted.texts()).toEqual(['after', 'and more']);
      expect(metric(restarted.metrics, 'mesh_frames_rejected_total{reason="stale-prekey"}')).toBe(1);
      expect(metric(restarted.metrics, 'mesh_frames_received_total{from="0"}')).toBe(1);
      expect(metric(metrics, 'mesh_frames_sent_total{to="1"}')).toBe(2);
      expect(metric(metrics, 'mesh_send_failures_total{reason="refused",to="1"}')).toBe(0);

      // A frame captured before the restart is never accepted again, and says why.
      const replay = await postFrame(restarted.url, captured);
      expect({ status: replay.status, body: await replay.text() }).toEqual({ status: 409, body: 'stale-prekey' });
      expect(metric(restarted.metrics, 'mesh_frames_rejected_total{reason="stale-prekey"}')).toBe(2);
      await settle();
      expect(restarted.texts()).toEqual(['after', 'and more']);
    });

    it('sends again every frame that was in flight to the old prekey', async () => {
      const receiver = await startReceiver();
      const { transport, metrics } = sender(receiver.url);
      await transport.send(1, encode('before'));
      const restarted = await restart(receiver);
      // Larger than a batch: two frames, both sealed to the old prekey, both refused, both sent again.
      const large = new Uint8Array(1536 * 1024).fill(7);
      await Promise.all([transport.send(1, large), transport.send(1, encode('after'))]);
      await until(() => restarted.texts().length === 2);
      expect(restarted.texts()).toContain('after');
      expect(restarted.log.some((entry) => entry !== 'tick' && Buffer.from(large).equals(entry.payload))).toBe(true);
      expect(metric(restarted.metrics, 'mesh_frames_rejected_total{reason="stale-prekey"}')).toBe(2);
      expect(metric(metrics, 'mesh_frames_sent_total{to="1"}')).toBe(3);
    });

    it('finds the new prekey at its next ping, before any frame is refused', async () => {
      const receiver = await startReceiver();
      const { transport } = sender(receiver.url);
      await transport.send(1, encode('before'));
      const restarted = await restart(receiver);
      await transport.pingPeers();
      await transport.send(1, encode('after'));
      await until(() => restarted.texts().length === 1);
      expect(metric(restarted.metrics, 'mesh_frames_rejected_total{reason="stale-prekey"}')).toBe(0);
    });
  });

  it('opens no session to a prekey that is not signed by the registered key: the send is refused, counted, and the peer unreachable', async () => {
    const receiver = await startReceiver();
    // Node 1 registered under node 2's key, while the server at its URL holds node 1's identity.
    const { transport, metrics } = sender(UNUSED_URL, { peers: [{ ...node2!.keys, id: 1, url: receiver.url }] });
    await expect(transport.send(1, encode('secret'))).rejects.toMatchObject({ name: 'MeshSendError', reason: 'refused', message: expect.stringContaining('not signed by its registered identity key') });
    expect(metric(metrics, 'mesh_prekeys_rejected_total{from="1",reason="bad-signature"}')).toBe(1);
    await transport.pingPeers();
    expect(transport.reachablePeers()).toEqual([]);
    expect(metric(metrics, 'mesh_prekeys_rejected_total{from="1",reason="bad-signature"}')).toBe(2);
    expect(metric(receiver.metrics, 'mesh_frames_received_total{from="0"}')).toBe(0);
    expect(receiver.metrics.render()).not.toContain('mesh_frames_rejected_total{');
  });

  describe('peers added after the start (a resharing adds participants)', () => {
    it('accepts frames from a peer only once it is set, and sends to a peer only once it is set', async () => {
      const receiver = await startReceiver([]);
      const { transport, metrics } = sender(receiver.url);
      await expect(transport.send(1, encode('too early'))).rejects.toMatchObject({ name: 'MeshSendError', reason: 'refused' });
      expect(metric(receiver.metrics, 'mesh_frames_rejected_total{reason="unknown-sender"}')).toBe(1);

      expect(receiver.transport.setPeers([{ ...node0!.keys, url: UNUSED_URL }])).toEqual({ changed: [0], removed: [] });
      await transport.send(1, encode('welcome'));
      await until(() => receiver.texts().length === 1);
      expect(receiver.texts()).toEqual(['welcome']);

      // The other way round: node 1 could not address node 2 before it was set.
      await expect(receiver.transport.send(2, encode('x'))).rejects.toMatchObject({ reason: 'unknown-peer' });
      expect(metric(metrics, 'mesh_frames_sent_total{to="1"}')).toBe(1);
    });

    it('pings a newly set peer at once, skips unchanged registrations and the node itself', async () => {
      const receiver = await startReceiver();
      const { transport } = sender(UNUSED_URL, { peers: [], pingIntervalMs: 60_000 });
      expect(transport.reachablePeers()).toEqual([]);
      const registration: MeshPeer = { ...node1!.keys, url: receiver.url };
      expect(transport.setPeers([{ ...node0!.keys, url: UNUSED_URL }, registration])).toEqual({ changed: [1], removed: [] });
      await until(() => transport.reachablePeers().includes(1));
      expect(transport.setPeers([{ ...registration }])).toEqual({ changed: [], removed: [] });
    });

    it('replaces a peer whose URL or keys changed; what waited for it goes out under the new registration', async () => {
      const receiver = await startReceiver();
      const { transport } = sender(UNUSED_URL, { requestTimeoutMs: 2_000 });
      // Queued for node 1 at its old (dead) address, then node 1 re-registers at the receiver's URL.
      const queued = transport.send(1, encode('rerouted'));
      expect(transport.setPeers([{ ...node1!.keys, url: receiver.url }])).toEqual({ changed: [1], removed: [] });
      await queued;
      await until(() => receiver.texts().length === 1);
      expect(receiver.texts()).toEqual(['rerouted']);
      // A new key for node 1: the receiver still signs its prekey with node 1's old key, so no session opens.
      expect(transport.setPeers([{ ...node2!.keys, id: 1, url: receiver.url }])).toEqual({ changed: [1], removed: [] });
      await expect(transport.send(1, encode('to new keys'))).rejects.toMatchObject({ reason: 'refused' });
    });
  });

  describe('peers removed from the set (a participant voted out)', () => {
    it('fails the sends queued for it, refuses and counts its frames, and takes it back once it is set again', async () => {
      const receiver = await startReceiver();
      const { transport, metrics } = sender(receiver.url, { pingIntervalMs: 60_000 });
      const channel = await sessionTo(receiver.url);
      expect((await postFrame(receiver.url, channel.seal(encode('member')))).status).toBe(204);

      // The sender drops node 1 while a send to it waits in the outbox.
      const queued = transport.send(1, encode('never'));
      expect(transport.setPeers([])).toEqual({ changed: [], removed: [1] });
      await expect(queued).rejects.toMatchObject({ name: 'MeshSendError', to: 1, reason: 'removed' });
      expect(metric(metrics, 'mesh_send_failures_total{reason="removed",to="1"}')).toBe(1);
      expect(transport.reachablePeers()).toEqual([]);

      // The receiver drops node 0: its frames, in a session it had accepted or a new one, are refused.
      expect(receiver.transport.setPeers([])).toEqual({ changed: [], removed: [0] });
      for (const frame of [channel.seal(encode('old session')), (await sessionTo(receiver.url)).seal(encode('new session'))]) {
        const refused = await postFrame(receiver.url, frame);
        expect({ status: refused.status, body: await refused.text() }).toEqual({ status: 400, body: 'removed-sender' });
      }
      expect(metric(receiver.metrics, 'mesh_frames_rejected_total{reason="removed-sender"}')).toBe(2);

      // Voted in again: a new session is accepted (the old one ended with the removal).
      expect(receiver.transport.setPeers([{ ...node0!.keys, url: UNUSED_URL }])).toEqual({ changed: [0], removed: [] });
      expect((await postFrame(receiver.url, (await sessionTo(receiver.url)).seal(encode('welcome back')))).status).toBe(204);
      await until(() => receiver.texts().length === 2);
      expect(receiver.texts()).toEqual(['member', 'welcome back']);
    });
  });

  describe('unauthenticated requests are cheap to refuse', () => {
    /** A frame POST declaring `declaredBytes`, of which only `first` is sent until `finish` is called. */
    function partialPost(url: string, declaredBytes: number, first: Uint8Array): { answer: Promise<{ status: number; body: string }>; request: ClientRequest } {
      let request!: ClientRequest;
      const answer = new Promise<{ status: number; body: string }>((resolve, reject) => {
        request = httpRequest(new URL('/mesh/v1/frame', url), { method: 'POST', headers: { 'content-length': String(declaredBytes) } }, (response) => {
          const chunks: Buffer[] = [];
          response.on('data', (chunk: Buffer) => chunks.push(chunk));
          response.on('end', () => resolve({ status: response.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
        });
        request.on('error', reject);
        request.write(first);
      });
      return { answer, request };
    }

    it('answers from the session header, before the body is sent: an unknown sender, a wrong recipient, a stale prekey', async () => {
      const receiver = await startReceiver();
      const stranger = generateMeshIdentity(9);
      const served = verifySessionPrekey(hexToBytes(await (await fetch(new URL('/mesh/v1/prekey', receiver.url))).text()), node1!.keys);
      const headerOf = (frame: Uint8Array) => frame.subarray(0, SESSION_HEADER_BYTES);
      const cases: Array<[Uint8Array, number, string]> = [
        [headerOf(new OutboundChannel(stranger.identity, served).seal(encode('x'))), 400, 'unknown-sender'],
        [headerOf(new OutboundChannel(node0!.identity, { ...served, id: 2 }).seal(encode('x'))), 400, 'wrong-recipient'],
        [headerOf(new OutboundChannel(node0!.identity, { id: 1, publicKey: new Uint8Array(32).fill(9) }).seal(encode('x'))), 409, 'stale-prekey'],
      ];
      for (const [header, status, reason] of cases) {
        // 8 MiB declared (under the frame limit), only the header sent: the answer comes anyway.
        const { answer, request } = partialPost(receiver.url, 8 * 1024 * 1024, header);
        expect(await answer).toEqual({ status, body: reason });
        request.destroy();
      }
      expect(metric(receiver.metrics, 'mesh_frames_rejected_total{reason="unknown-sender"}')).toBe(1);
    });

    it('closes connections beyond the cap at once, and connections that send no whole headers in time with 408', async () => {
      const receiver = await startReceiver(undefined, 0, { maxConnections: 2, headersTimeoutMs: 300 });
      const { port } = new URL(receiver.url);
      const opened = Date.now();
      const rawConnection = (data?: string) => {
        const socket = connect(Number(port), '127.0.0.1');
        const received: Buffer[] = [];
        socket.on('connect', () => (data === undefined ? undefined : socket.write(data)));
        socket.on('data', (chunk: Buffer) => received.push(chunk));
        socket.on('error', () => undefined);
        const closed = new Promise<{ afterMs: number; answer: string }>((resolve) => socket.on('close', () => resolve({ afterMs: Date.now() - opened, answer: Buffer.concat(received).toString('latin1').split('\r\n')[0]! })));
        return { socket, closed };
      };
      const idle = rawConnection();
      const trickling = rawConnection('POST /mesh/v1/frame HTTP/1.1\r\nHost: 127.0.0.1\r\n');
      await new Promise((resolve) => setTimeout(resolve, 50));
      const third = rawConnection();
      expect((await third.closed).answer).toBe('');
      expect(metric(receiver.metrics, 'mesh_connections_dropped_total')).toBe(1);
      for (const connection of [idle, trickling]) {
        const { afterMs, answer } = await connection.closed;
        expect(answer).toBe('HTTP/1.1 408 Request Timeout');
        expect(afterMs).toBeGreaterThanOrEqual(300);
      }
      // The slots are free again: a peer's prekey read goes through.
      expect((await fetch(new URL('/mesh/v1/prekey', receiver.url))).status).toBe(200);
    });

    it('refuses a declared size over the frame limit before reading it', async () => {
      const receiver = await startReceiver(undefined, 0, { maxFrameBytes: 64 * 1024 });
      const { answer, request } = partialPost(receiver.url, 65 * 1024, new Uint8Array(10));
      expect(await answer).toEqual({ status: 413, body: 'oversize' });
      request.destroy();
      expect(metric(receiver.metrics, 'mesh_frames_rejected_total{reason="oversize"}')).toBe(1);
    });

    it('answers 503 beyond the cap on requests whose header has not come yet; a sender retries and gets through once one ends', async () => {
      const receiver = await startReceiver(undefined, 0, { maxUnadmittedRequests: 2 });
      // Two requests that send 10 bytes of their header and stall hold both slots.
      const stalled = [0, 1].map(() => partialPost(receiver.url, 1024, new Uint8Array(10)));
      const stalledEnded = Promise.all(stalled.map(({ answer }) => answer.catch(() => undefined)));
      await settle();
      const { answer, request } = partialPost(receiver.url, 1024, new Uint8Array(10));
      expect(await answer).toEqual({ status: 503, body: 'busy' });
      request.destroy();
      expect(metric(receiver.metrics, 'mesh_frames_rejected_total{reason="busy"}')).toBe(1);

      const { transport, metrics } = sender(receiver.url, { retryDelaysMs: [50, 50, 50, 50, 50, 50], pingIntervalMs: 60_000 });
      const send = transport.send(1, encode('patient'));
      await until(() => metric(metrics, 'mesh_request_retries_total{kind="frame",to="1"}') > 0);
      for (const { request: held } of stalled) held.destroy();
      await stalledEnded;
      await send;
      await until(() => receiver.texts().length === 1);
      expect(receiver.texts()).toEqual(['patient']);
    });
  });
});
