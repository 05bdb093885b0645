/**
 * Event-loop lag as a metric: the node runs protocol arithmetic, DynamoDB calls and the mesh on one
 * thread, so a long synchronous step delays every peer's frames and every lease renewal. The gauge holds
 * the 99th percentile and the maximum of the last window; a lag that keeps growing is what makes peers
 * take this node for unreachable long before its liveness fails.
 */
import { monitorEventLoopDelay, type IntervalHistogram } from 'node:perf_hooks';
import type { MetricsRegistry } from './metrics.js';

const SAMPLE_RESOLUTION_MS = 20;
const NANOS_PER_MS = 1e6;

export class EventLoopLag {
  private readonly histogram: IntervalHistogram = monitorEventLoopDelay({ resolution: SAMPLE_RESOLUTION_MS });
  private readonly gauge;
  private timer: NodeJS.Timeout | undefined;

  constructor(metrics: MetricsRegistry) {
    this.gauge = metrics.gauge('node_event_loop_lag_ms', 'Event-loop delay over the last window, by statistic (p99, max)');
  }

  /** Samples continuously and publishes every `windowMs`. */
  start(windowMs: number): void {
    this.histogram.enable();
    this.timer = setInterval(() => this.publish(), windowMs);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
    this.histogram.disable();
  }

  private publish(): void {
    const lag = (nanos: number) => Math.round((nanos / NANOS_PER_MS) * 10) / 10;
    this.gauge.set(lag(this.histogram.percentile(99)), { statistic: 'p99' });
    this.gauge.set(lag(this.histogram.max), { statistic: 'max' });
    this.histogram.reset();
  }
}
