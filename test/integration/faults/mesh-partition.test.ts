// Mesh partitions and slow links: a direction cut (A→B while B→A works) and a peer whose frames come
// late. Three in-process nodes (threshold 2), every direction through the fault proxy; the runs are real
// two-round FROST signatures (test/support/faults/mesh-scenario.ts).
import { MeshSendError } from '../../../services/mpc-node/mesh/transport.js';
import { ParticipantUnreachable } from '../../../services/mpc-node/peer-network.js';
import { ProtocolTimeout } from '../../../services/mpc-node/protocol-router.js';
import { cut, isFrame, randomly } from '../../support/faults/mesh-proxy.js';
import { failures, msUntilSigned, signAmong, proxiedClusterPerFile } from '../../support/faults/mesh-scenario.js';
import { until } from '../../support/until.js';
import { withFaultSeed } from '../../support/faults/seed.js';

const RUN_TIMEOUT_MS = 2_000;

describe('mesh partitions and slow links', () => {
  const mesh = proxiedClusterPerFile({ nodes: 3, threshold: 2 });

  const nodeNetwork = (node: number) => mesh().cluster.nodes[node]!.context.network;

  it('0→1 cut while 1→0 works: the run fails on both sides with allowed errors within its timeout; healed, runs sign again', () =>
    withFaultSeed('mesh: asymmetric partition', async (random) => {
      mesh().proxy.setRules([cut(0, 1)], random);
      const parts = await signAmong(mesh().cluster, [0, 1], RUN_TIMEOUT_MS);
      // Node 0 cannot reach node 1, after its retries; node 1, which reaches node 0, waits for it until its timeout.
      const cutOff = parts.get(0)!;
      expect(cutOff.ok).toBe(false);
      expect(!cutOff.ok && (cutOff.error instanceof MeshSendError || cutOff.error instanceof ParticipantUnreachable)).toBe(true);
      const waiting = parts.get(1)!;
      expect(!waiting.ok && waiting.error instanceof ProtocolTimeout).toBe(true);
      await until(() => !nodeNetwork(0).reachablePeers().includes(1), 5_000, 'node 0 to see node 1 unreachable', 10);
      // The other direction and the other pairs work throughout.
      expect(nodeNetwork(1).reachablePeers()).toContain(0);
      expect(failures(await signAmong(mesh().cluster, [1, 2], RUN_TIMEOUT_MS))).toEqual([]);

      mesh().proxy.setRules([]);
      const healedAt = Date.now();
      const signedAfterMs = await msUntilSigned(mesh().cluster, [0, 1], healedAt, RUN_TIMEOUT_MS, 10_000);
      await until(() => nodeNetwork(0).reachablePeers().includes(1), 5_000, 'node 0 to see node 1 again at its next ping', 10);
      const reachableAfterMs = Date.now() - healedAt;
      console.log(`mesh fault recovery: asymmetric partition healed → first signature after ${signedAfterMs} ms, node 1 reachable again at node 0 after ≤ ${reachableAfterMs} ms`);
    }));

  it('a peer whose frames all come late (below the protocol timeout) still signs', () =>
    withFaultSeed('mesh: slow peer', async (random) => {
      mesh().proxy.setRules([randomly((request) => isFrame(request) && request.from === 2, (pick) => ({ kind: 'delay', ms: 100 + Math.floor(pick() * 300) }))], random);
      for (const signers of [[2, 0], [1, 2], [0, 1, 2]]) expect(failures(await signAmong(mesh().cluster, signers, RUN_TIMEOUT_MS))).toEqual([]);
      expect(mesh().proxy.applied.get('delay')).toBeGreaterThanOrEqual(3);
      // Nobody took the slow peer for a dead one.
      expect(nodeNetwork(0).reachablePeers()).toContain(2);
    }));
});
