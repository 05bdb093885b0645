// A participant voted out that keeps sending: once the others' setPeers no longer lists it, its runs
// with them end, its frames are refused and counted, and they stop pinging it, while the remaining
// participants keep signing. Four in-process nodes (threshold 2), every direction through the fault
// proxy; the runs are real two-round FROST signatures (test/support/faults/mesh-scenario.ts).
import { ParticipantRemoved } from '../../../services/mpc-node/peer-network.js';
import { isFrame } from '../../support/faults/mesh-proxy.js';
import { failures, isAllowedRunError, metricValue, signAmong, proxiedClusterPerFile } from '../../support/faults/mesh-scenario.js';
import { until } from '../../support/until.js';
import { withFaultSeed } from '../../support/faults/seed.js';

const RUN_TIMEOUT_MS = 3_000;
const REMOVED = 3;
const REMAINING = [0, 1, 2];

describe('mesh: a participant removed from the set', () => {
  const mesh = proxiedClusterPerFile({ nodes: 4, threshold: 2 });

  const context = (node: number) => mesh().cluster.nodes[node]!.context;

  it('its runs end with ParticipantRemoved, its frames are refused and counted, it is not pinged, and the others keep signing', () =>
    withFaultSeed('mesh: removed participant still sending', async (random) => {
      // The removed node's frames to node 0 come late, so that their run is still going at the removal.
      mesh().proxy.setRules([(request) => (isFrame(request) && request.from === REMOVED && request.to === 0 ? { kind: 'delay', ms: 300 } : undefined)], random);
      const removed: number[] = [];
      context(0).network.onPeerRemoved((peer) => removed.push(peer));
      const run = signAmong(mesh().cluster, [0, REMOVED], RUN_TIMEOUT_MS);
      await until(() => (mesh().proxy.applied.get('delay') ?? 0) > 0, 5_000, 'the removed node to have sent its round-1 frame', 10);

      for (const node of REMAINING) {
        const listed = mesh().cluster.peersOf(node).filter((peer) => peer.id !== REMOVED);
        expect(context(node).network.setPeers(listed)).toEqual([]);
      }
      expect(removed).toEqual([REMOVED]);
      const parts = await run;
      const survivor = parts.get(0)!;
      expect(!survivor.ok && survivor.error).toBeInstanceOf(ParticipantRemoved);
      const outcast = parts.get(REMOVED)!;
      expect(!outcast.ok && isAllowedRunError(outcast.error)).toBe(true);
      mesh().proxy.setRules([]);

      // It keeps sending (it still lists everyone): refused by each remaining node, and counted. (The
      // target's part, which cannot address it any more, waits for its commitment until a short timeout.)
      for (const target of [1, 2]) {
        const refused = await signAmong(mesh().cluster, [target, REMOVED], 1_000);
        for (const error of failures(refused)) expect(isAllowedRunError(error)).toBe(true);
        expect(refused.get(REMOVED)!.ok).toBe(false);
        expect(metricValue(context(target).metrics.render(), 'mesh_frames_rejected_total{reason="removed-sender"}')).toBeGreaterThan(0);
        expect(metricValue(context(target).metrics.render(), `mesh_frames_received_total{from="${REMOVED}"}`)).toBe(0);
      }

      // The remaining nodes sign among themselves as before.
      expect(failures(await signAmong(mesh().cluster, REMAINING, RUN_TIMEOUT_MS))).toEqual([]);
      expect(failures(await signAmong(mesh().cluster, [2, 1], RUN_TIMEOUT_MS))).toEqual([]);

      // Nobody pings it any more: no request of theirs reaches it over a few ping intervals.
      mesh().proxy.record((request) => request.to === REMOVED && request.from !== REMOVED);
      await new Promise((resolve) => setTimeout(resolve, 1_000));
      mesh().proxy.record(() => false);
      expect(mesh().proxy.recorded().filter((request) => request.to === REMOVED)).toEqual([]);
      for (const node of REMAINING) expect(context(node).network.reachablePeers()).not.toContain(REMOVED);
    }));
});
