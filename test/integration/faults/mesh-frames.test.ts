// Mesh faults on single requests: a dropped frame POST, a lost answer, and frames duplicated and
// reordered on the way. Three in-process nodes (threshold 2), every direction through the fault proxy;
// the runs are real two-round FROST signatures (test/support/faults/mesh-scenario.ts).
import { firstOf, isFrame, randomly, type ProxiedRequest } from '../../support/faults/mesh-proxy.js';
import { failures, isAllowedRunError, metricValue, signAmong, proxiedClusterPerFile, succeeded } from '../../support/faults/mesh-scenario.js';
import { until } from '../../support/until.js';
import { withFaultSeed } from '../../support/faults/seed.js';

const RUN_TIMEOUT_MS = 5_000;

describe('mesh faults on single requests', () => {
  const mesh = proxiedClusterPerFile({ nodes: 3, threshold: 2 });

  const metricsOf = (node: number) => mesh().cluster.nodes[node]!.context.metrics.render();
  const frameFrom = (from: number, to: number) => (request: ProxiedRequest) => isFrame(request) && request.from === from && request.to === to;

  it('a single dropped frame POST is sent again and the run succeeds', () =>
    withFaultSeed('mesh: one dropped frame', async (random) => {
      const retriesBefore = metricValue(metricsOf(0), 'mesh_request_retries_total{kind="frame",to="1"}');
      mesh().proxy.setRules([firstOf(1, frameFrom(0, 1), { kind: 'drop' })], random);
      const parts = await signAmong(mesh().cluster, [0, 1], RUN_TIMEOUT_MS);
      expect(failures(parts)).toEqual([]);
      expect(mesh().proxy.applied.get('drop')).toBe(1);
      expect(metricValue(metricsOf(0), 'mesh_request_retries_total{kind="frame",to="1"}') - retriesBefore).toBe(1);
    }));

  it('a frame whose answer was lost is sent again, taken as delivered, and handled once', () =>
    withFaultSeed('mesh: one lost answer', async (random) => {
      const replaysBefore = metricValue(metricsOf(1), 'mesh_frames_rejected_total{reason="replay"}');
      mesh().proxy.setRules([firstOf(1, frameFrom(0, 1), { kind: 'drop-answer' })], random);
      const parts = await signAmong(mesh().cluster, [0, 1], RUN_TIMEOUT_MS);
      expect(failures(parts)).toEqual([]);
      expect(mesh().proxy.applied.get('drop-answer')).toBe(1);
      // The receiver had taken it: the copy sent again (maybe after the run ended) is refused as a replay,
      // which the sender takes as delivered.
      await until(() => metricValue(metricsOf(1), 'mesh_frames_rejected_total{reason="replay"}') > replaysBefore, 5_000, 'the copy refused as a replay', 10);
      expect(metricValue(metricsOf(1), 'mesh_frames_rejected_total{reason="replay"}') - replaysBefore).toBe(1);
      expect(metricValue(metricsOf(0), 'mesh_send_failures_total{reason="refused",to="1"}')).toBe(0);
    }));

  it('frames duplicated and reordered at random: every run signs correctly or fails with an allowed error; every duplicate is refused', () =>
    withFaultSeed('mesh: duplicated and reordered frames', async (random) => {
      const replays = () => [0, 1, 2].reduce((sum, node) => sum + metricValue(metricsOf(node), 'mesh_frames_rejected_total{reason="replay"}'), 0);
      const replaysBefore = replays();
      const duplicatesBefore = mesh().proxy.applied.get('duplicate') ?? 0;
      mesh().proxy.setRules(
        [
          randomly(isFrame, (pick) => {
            const roll = pick();
            if (roll < 0.3) return { kind: 'duplicate' };
            if (roll < 0.5) return { kind: 'reorder', maxHoldMs: 100 };
            return undefined;
          }),
        ],
        random,
      );
      let signed = 0;
      for (const signers of [[0, 1], [1, 2], [2, 0], [0, 1, 2], [1, 0], [2, 1]]) {
        const parts = await signAmong(mesh().cluster, signers, RUN_TIMEOUT_MS);
        if (succeeded(parts)) signed += 1;
        for (const error of failures(parts)) expect(isAllowedRunError(error)).toBe(true);
      }
      mesh().proxy.setRules([]);
      const duplicates = (mesh().proxy.applied.get('duplicate') ?? 0) - duplicatesBefore;
      expect(duplicates).toBeGreaterThan(0);
      // A copy goes once its original was answered, so the last may still be on its way.
      await until(() => replays() - replaysBefore >= duplicates, 5_000, 'every duplicate refused', 10);
      expect(replays() - replaysBefore).toBe(duplicates);
      // Duplicates and reordering within a round cost nothing: the runs all sign.
      expect(signed).toBe(6);
    }));

});
