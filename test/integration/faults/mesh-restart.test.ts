// A peer that dies mid-run and comes back with the same identity, and frames recorded before a receiver
// restarted and replayed after it. Three in-process nodes (threshold 2), every direction through the
// fault proxy; the runs are real two-round FROST signatures (test/support/faults/mesh-scenario.ts).
import { isFrame } from '../../support/faults/mesh-proxy.js';
import { failures, isAllowedRunError, metricValue, msUntilSigned, signAmong, proxiedClusterPerFile } from '../../support/faults/mesh-scenario.js';
import { until } from '../../support/until.js';
import { withFaultSeed } from '../../support/faults/seed.js';

const RUN_TIMEOUT_MS = 3_000;

describe('mesh: a peer that restarts', () => {
  const mesh = proxiedClusterPerFile({ nodes: 3, threshold: 2 });

  const context = (node: number) => mesh().cluster.nodes[node]!.context;

  it('a peer killed mid-run: the run fails at once with an allowed error; restarted with its identity, runs sign again', () =>
    withFaultSeed('mesh: peer kill and restart', async (random) => {
      // Node 1's frames to node 0 come late, so that the run is still going when node 1 dies.
      mesh().proxy.setRules([(request) => (isFrame(request) && request.from === 1 && request.to === 0 ? { kind: 'delay', ms: 500 } : undefined)], random);
      const run = signAmong(mesh().cluster, [0, 1], RUN_TIMEOUT_MS);
      await until(() => (mesh().proxy.applied.get('delay') ?? 0) > 0, 5_000, 'node 1 to have sent its round-1 frame', 10);
      expect(context(0).network.router.runningCount).toBe(1);
      const killedAt = Date.now();
      await mesh().cluster.stopNode(1);
      const parts = await run;
      const detectedMs = Date.now() - killedAt;
      const survivor = parts.get(0)!;
      expect(survivor.ok).toBe(false);
      expect(!survivor.ok && isAllowedRunError(survivor.error)).toBe(true);
      mesh().proxy.setRules([]);

      const restartedAt = Date.now();
      await mesh().cluster.restartNode(1);
      const signedAfterMs = await msUntilSigned(mesh().cluster, [0, 1], restartedAt, RUN_TIMEOUT_MS, 10_000);
      console.log(`mesh fault recovery: peer killed mid-run → run ended after ${detectedMs} ms; restarted → first signature after ${signedAfterMs} ms`);
    }));

  it('frames recorded before the receiver restarted and replayed after it are refused, counted, and reach nothing', () =>
    withFaultSeed('mesh: replay across a receiver restart', async (random) => {
      mesh().proxy.setRules([], random);
      mesh().proxy.record((request) => isFrame(request) && request.from === 0 && request.to === 2);
      expect(failures(await signAmong(mesh().cluster, [0, 2], RUN_TIMEOUT_MS))).toEqual([]);
      mesh().proxy.record(() => false);
      const recorded = [...mesh().proxy.recorded()];
      expect(recorded.length).toBeGreaterThan(0);
      // Before the restart, a replay is caught by the session's window.
      expect(await mesh().proxy.replay(recorded[0]!)).toEqual({ status: 400, body: 'replay' });

      await mesh().cluster.stopNode(2);
      await mesh().cluster.restartNode(2);
      for (const frame of recorded) expect(await mesh().proxy.replay(frame)).toEqual({ status: 409, body: 'stale-prekey' });
      const restarted = context(2);
      const metrics = restarted.metrics.render();
      expect(metricValue(metrics, 'mesh_frames_rejected_total{reason="stale-prekey"}')).toBe(recorded.length);
      expect(metricValue(metrics, 'mesh_frames_received_total{from="0"}')).toBe(0);
      expect(restarted.network.router.heldMessageCount).toBe(0);
      expect(restarted.network.router.runningCount).toBe(0);
      // The restarted node works with the sender as before.
      expect(failures(await signAmong(mesh().cluster, [0, 2], RUN_TIMEOUT_MS))).toEqual([]);
    }));
});
