import { MetricsRegistry } from './metrics.js';

describe('metrics registry', () => {
  it('renders counters, gauges and histograms in the Prometheus text format', () => {
    const registry = new MetricsRegistry();
    const dropped = registry.counter('mesh_frames_rejected_total', 'Frames refused by the mesh');
    const level = registry.gauge('stockpile_level', 'Assets in store');
    const latency = registry.histogram('sign_latency_seconds', 'Request to response', [0.1, 1]);
    dropped.inc({ reason: 'replay' });
    dropped.inc({ reason: 'replay' });
    dropped.inc({ reason: 'unknown-sender' });
    level.set(42, { kind: 'triple' });
    latency.observe(0.05);
    latency.observe(0.5);
    latency.observe(3);
    const text = registry.render();
    expect(text).toContain('# HELP mesh_frames_rejected_total Frames refused by the mesh\n# TYPE mesh_frames_rejected_total counter');
    expect(text).toContain('mesh_frames_rejected_total{reason="replay"} 2');
    expect(text).toContain('mesh_frames_rejected_total{reason="unknown-sender"} 1');
    expect(text).toContain('stockpile_level{kind="triple"} 42');
    expect(text).toContain('sign_latency_seconds_bucket{le="0.1"} 1\nsign_latency_seconds_bucket{le="1"} 2\nsign_latency_seconds_bucket{le="+Inf"} 3');
    expect(text).toContain('sign_latency_seconds_sum 3.55');
    expect(text.endsWith('\n')).toBe(true);
  });

  it('escapes label values and refuses duplicate names', () => {
    const registry = new MetricsRegistry();
    registry.counter('c', 'x').inc({ peer: 'a"b\\c\nd' });
    expect(registry.render()).toContain('c{peer="a\\"b\\\\c\\nd"} 1');
    expect(() => registry.gauge('c', 'again')).toThrow(/registered twice/);
  });
});
