import { EventLoopLag } from './event-loop-lag.js';
import { MetricsRegistry } from './metrics.js';

describe('EventLoopLag', () => {
  it('publishes the lag a blocking step caused', async () => {
    const metrics = new MetricsRegistry();
    const lag = new EventLoopLag(metrics);
    lag.start(300);
    try {
      await new Promise((resolve) => setTimeout(resolve, 50));
      // 150 ms of synchronous work: no timer can fire meanwhile.
      for (const end = Date.now() + 150; Date.now() < end; );
      await new Promise((resolve) => setTimeout(resolve, 300));
      const gauge = () => metrics.render().match(/node_event_loop_lag_ms\{statistic="max"\} ([\d.]+)/);
      expect(Number(gauge()?.[1])).toBeGreaterThanOrEqual(100);
      expect(metrics.render()).toMatch(/node_event_loop_lag_ms\{statistic="p99"\} [\d.]+/);
    } finally {
      lag.stop();
    }
  });
});
