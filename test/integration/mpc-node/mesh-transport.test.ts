import { hexToBytes } from '@noble/hashes/utils.js';
import { generateMeshIdentity, OutboundChannel } from '../../../services/mpc-node/mesh/channel.js';
import { verifySessionPrekey } from '../../../services/mpc-node/mesh/prekey.js';
import { MeshSendError, MeshTransport, type MeshPeer } from '../../../services/mpc-node/mesh/transport.js';
import { MetricsRegistry } from '../../../services/mpc-node/observability/metrics.js';
import { findFreePorts } from '../../../services/devnet/emulators/free-port.js';

interface TestNode {
  readonly transport: MeshTransport;
  readonly metrics: MetricsRegistry;
  readonly inbox: Array<{ from: number; text: string }>;
}

const decode = (bytes: Uint8Array) => new TextDecoder().decode(bytes);
const encode = (text: string) => new TextEncoder().encode(text);

describe('mesh transport over HTTP on 127.0.0.1', () => {
  const identities = [0, 1, 2].map((id) => generateMeshIdentity(id));
  let peers: MeshPeer[];
  let nodes: TestNode[];

  beforeAll(async () => {
    const ports = await findFreePorts(identities.length);
    peers = identities.map(({ keys }, i) => ({ ...keys, url: `http://127.0.0.1:${ports[i]}` }));
    nodes = identities.map(({ identity }, i) => {
      const metrics = new MetricsRegistry();
      const inbox: TestNode['inbox'] = [];
      const transport = new MeshTransport({
        identity,
        peers,
        listenHost: '127.0.0.1',
        listenPort: ports[i]!,
        metrics,
        maxFrameBytes: 64 * 1024,
        requestTimeoutMs: 15_000,
        onMessage: (from, payload) => {
          if (decode(payload) === 'explode') throw new Error('handler bug');
          inbox.push({ from, text: decode(payload) });
        },
      });
      return { transport, metrics, inbox };
    });
    await Promise.all(nodes.map((node) => node.transport.start()));
  });

  afterAll(() => Promise.all(nodes.map((node) => node.transport.stop())));

  const node = (i: number) => nodes[i]!;
  /** A send resolves once the peer accepted the frame; the peer handles it in its next macrotask. */
  const handled = () => new Promise((resolve) => setTimeout(resolve, 20));

  it('delivers authenticated messages between every pair, many in parallel', async () => {
    const sends = [];
    for (const from of [0, 1, 2]) for (const to of [0, 1, 2]) if (from !== to) for (let k = 0; k < 50; k += 1) sends.push(node(from).transport.send(to, encode(`${from}->${to}#${k}`)));
    await Promise.all(sends);
    await handled();
    for (const to of [0, 1, 2]) {
      expect(node(to).inbox.filter((m) => m.text.endsWith('#49'))).toHaveLength(2);
      expect(node(to).inbox.every((m) => m.text.startsWith(`${m.from}->${to}#`))).toBe(true);
    }
  });

  it('drops garbage, replays, strangers and oversize frames, counts them, and keeps serving', async () => {
    const url = `${peers[1]!.url}/mesh/v1/frame`;
    const post = (body: Uint8Array) => fetch(url, { method: 'POST', body });
    expect((await post(encode('garbage'))).status).toBe(400);
    // Node 1's prekey, as a sender reads and verifies it.
    const prekey = verifySessionPrekey(hexToBytes(await (await fetch(`${peers[1]!.url}/mesh/v1/prekey`)).text()), peers[1]!);

    const replayed = new OutboundChannel(identities[0]!.identity, prekey).seal(encode('once'));
    expect((await post(replayed)).status).toBe(204);
    expect((await post(replayed)).status).toBe(400);
    await handled();

    const stranger = generateMeshIdentity(9);
    expect((await post(new OutboundChannel(stranger.identity, prekey).seal(encode('hi')))).status).toBe(400);
    // The server answers 413 and closes; the client may see either while still uploading.
    const oversize = await post(new Uint8Array(200 * 1024)).then((r) => r.status, () => 'connection closed');
    expect([413, 'connection closed']).toContain(oversize);

    const rendered = node(1).metrics.render();
    for (const reason of ['malformed', 'replay', 'unknown-sender', 'oversize']) expect(rendered).toContain(`mesh_frames_rejected_total{reason="${reason}"} 1`);
    expect(node(1).inbox.filter((m) => m.text === 'once')).toHaveLength(1);
    await node(0).transport.send(1, encode('still alive'));
    await handled();
    expect(node(1).inbox.at(-1)).toEqual({ from: 0, text: 'still alive' });
  });

  it('survives a handler that throws and counts it', async () => {
    await node(2).transport.send(0, encode('explode'));
    await handled();
    expect(node(0).metrics.render()).toContain('mesh_handler_failures_total 1');
  });

  it('tracks reachable peers and fails sends to a stopped peer with a typed error', async () => {
    await node(0).transport.pingPeers();
    expect(node(0).transport.reachablePeers().sort()).toEqual([1, 2]);
    await node(2).transport.stop();
    await node(0).transport.pingPeers();
    expect(node(0).transport.reachablePeers()).toEqual([1]);
    expect(node(0).metrics.render()).toContain('mesh_peers_connected 1');
    await expect(node(0).transport.send(2, encode('anyone?'))).rejects.toMatchObject({ name: 'MeshSendError', reason: 'unreachable' });
    await expect(node(0).transport.send(7, encode('x'))).rejects.toBeInstanceOf(MeshSendError);
  });
});
