import { randomBytes } from 'node:crypto';
import { generateTriples } from '../../../shared/crypto/ecdsa/triples/index.js';
import type { Triple } from '../../../shared/crypto/ecdsa/triple.js';
import type { Protocol } from '../../../shared/crypto/protocol.js';
import { encodeControlMessage, MESH_PAYLOAD_KIND, RunRefused } from '../../../services/mpc-node/control.js';
import { startTestCluster, type TestCluster } from '../../support/node-cluster.js';

// Mesh + router + control channel composed as the node composes them, over real loopback HTTP.
describe('PeerNetwork', () => {
  let cluster: TestCluster;
  beforeAll(async () => {
    cluster = await startTestCluster({ nodes: 3, threshold: 2 });
  });
  afterAll(() => cluster.stop());

  it('starts a protocol run at a peer with a control message and runs it over the router', async () => {
    const [owner, peer] = [cluster.nodes[0]!.context, cluster.nodes[1]!.context];
    const participants = [0, 1];
    const instance = new Uint8Array(randomBytes(32));
    const instanceHex = Buffer.from(instance).toString('hex');
    const run = (me: number) =>
      (me === 0 ? owner : peer).network.router.run(instance, generateTriples({ participants, me, threshold: 2, batchSize: 2, sessionId: instance }), participants, 30_000);
    let peerRun: Promise<readonly Triple[]> | undefined;
    peer.network.control.on('triples', async (from, message) => {
      expect(from).toBe(0);
      expect(message.instance).toBe(instanceHex);
      peerRun = run(1);
      await peerRun;
    });
    await owner.network.control.sendTo([1], { type: 'triples', instance: instanceHex, participants, threshold: 2, batchSize: 2 });
    const [mine, theirs] = await Promise.all([run(0), (async () => {
      while (peerRun === undefined) await new Promise((resolve) => setTimeout(resolve, 5));
      return peerRun;
    })()]);
    expect(mine).toHaveLength(2);
    expect(theirs.map((t) => Buffer.from(t.pub.bigC).toString('hex'))).toEqual(mine.map((t) => Buffer.from(t.pub.bigC).toString('hex')));
  });

  it('a peer that refuses a run it is asked to join says so, and the run ends then, not at its timeout', async () => {
    const owner = cluster.nodes[0]!.context;
    const participants = [0, 2];
    cluster.nodes[2]!.context.network.control.on('triples', async () => {
      throw new Error('no room for another batch');
    });
    const instance = new Uint8Array(randomBytes(32));
    const instanceHex = Buffer.from(instance).toString('hex');
    await owner.network.control.sendTo([2], { type: 'triples', instance: instanceHex, participants, threshold: 2, batchSize: 2 });
    const run = owner.network.router.run(instance, generateTriples({ participants, me: 0, threshold: 2, batchSize: 2, sessionId: instance }), participants, 10 * 60_000);
    const error = await run.then(() => undefined, (reason: unknown) => reason);
    expect(error).toBeInstanceOf(RunRefused);
    expect(error).toMatchObject({ from: 2, instance: instanceHex, reason: 'no room for another batch' });
  });

  it('startRun sends the start message and runs at once; a start message that cannot be sent ends the run, not its timeout', async () => {
    // Node 0 has no triples handler yet (nodes 1 and 2 registered theirs above).
    const [owner, peer] = [cluster.nodes[1]!.context, cluster.nodes[0]!.context];
    const participants = [0, 1];
    const started = new Uint8Array(randomBytes(32));
    const startedHex = Buffer.from(started).toString('hex');
    let peerRun: Promise<readonly Triple[]> | undefined;
    peer.network.control.on('triples', async (from, message) => {
      expect({ from, instance: message.instance }).toEqual({ from: 1, instance: startedHex });
      peerRun = peer.network.router.run(started, generateTriples({ participants, me: 0, threshold: 2, batchSize: 2, sessionId: started }), participants, 30_000);
      await peerRun;
    });
    const triples = generateTriples({ participants, me: 1, threshold: 2, batchSize: 2, sessionId: started });
    const mine = await owner.network.startRun(started, triples, participants, 30_000, { type: 'triples', instance: startedHex, participants, threshold: 2, batchSize: 2 });
    expect(mine).toHaveLength(2);
    expect((await peerRun!).map((t) => Buffer.from(t.pub.bigC).toString('hex'))).toEqual(mine.map((t) => Buffer.from(t.pub.bigC).toString('hex')));

    // Participant 7 is no peer of this node: the start message cannot be sent, and the run (with a 10-minute
    // timeout) ends at once. The protocol only waits, as an ECDSA signing coordinator does for the shares,
    // so no protocol message of its own would fail first.
    const unsendable = new Uint8Array(randomBytes(32));
    const withStranger = [1, 7];
    const waitsForShares: Protocol<never> = { poke: () => ({ kind: 'wait' }), message: () => undefined };
    const run = owner.network.startRun(unsendable, waitsForShares, withStranger, 10 * 60_000, {
      type: 'triples',
      instance: Buffer.from(unsendable).toString('hex'),
      participants: withStranger,
      threshold: 2,
      batchSize: 2,
    });
    await expect(run).rejects.toMatchObject({ name: 'MeshSendError', to: 7, reason: 'unknown-peer' });
  });

  it('drops a malformed control message and counts it, and the node keeps serving', async () => {
    const target = cluster.nodes[2]!.context;
    await cluster.nodes[0]!.context.network.transport.send(2, Uint8Array.of(MESH_PAYLOAD_KIND.control, 0x7b, 0x7d));
    await cluster.nodes[0]!.context.network.transport.send(2, Uint8Array.of(0x7f, 1, 2, 3));
    const bogus = encodeControlMessage({ type: 'eddsa-presign', instance: 'ab'.repeat(32), participants: [0, 2], domainId: 1, epochId: 0 });
    await cluster.nodes[0]!.context.network.transport.send(2, bogus);
    const metrics = target.metrics.render();
    expect(metrics).toMatch(/control_messages_rejected_total\{reason="malformed"\} 1/);
    expect(metrics).toMatch(/control_messages_rejected_total\{reason="no-handler"\} 1/);
    expect(metrics).toMatch(/mesh_payloads_dropped_total\{reason="unknown-kind"\} 1/);
  });

  it('a peer that stops answering ends the runs it takes part in at the next ping, not at their timeout, and is reported', async () => {
    // Last in this file: it stops node 2's mesh.
    const me = cluster.nodes[0]!.context.network;
    const lost: number[] = [];
    me.onPeerLost((peer) => lost.push(peer));
    await me.transport.pingPeers();
    expect(me.reachablePeers()).toContain(2);
    const waits: Protocol<never> = { poke: () => ({ kind: 'wait' }), message: () => undefined };
    const withLost = me.router.run(new Uint8Array(randomBytes(32)), waits, [0, 2], 10 * 60_000);
    const without = me.router.run(new Uint8Array(randomBytes(32)), waits, [0, 1], 10 * 60_000);
    await cluster.stopNode(2);
    await me.transport.pingPeers();
    await expect(withLost).rejects.toMatchObject({ name: 'ParticipantUnreachable', participant: 2 });
    expect(lost).toEqual([2]);
    // A peer already seen down is not reported again; runs without it go on.
    await me.transport.pingPeers();
    expect(lost).toEqual([2]);
    expect(me.router.runningCount).toBe(1);
    me.router.abortAll(new Error('test over'));
    await expect(without).rejects.toThrow('test over');
  });
});
