/**
 * The node's CloudWatch metrics, written as embedded-metric-format (EMF) lines to its log: the awslogs
 * driver ships stdout to CloudWatch Logs, which extracts the metrics, so the node makes no CloudWatch
 * API calls and needs no cloudwatch:PutMetricData permission.
 *
 * cdk/lib/observability.ts alarms on these by namespace and metric name with NO dimensions, so every
 * line declares one empty dimension set (`Dimensions: [[]]`): a metric published with any dimension would
 * be a different CloudWatch metric and the alarms would see nothing (and treat that as an empty stockpile).
 * SignLatency's unit must be Milliseconds, the unit the alarm's query names. Powertools Metrics cannot
 * write that empty dimension set (it always adds `service`, or writes no set at all): decision 0013.
 */

/** Names as cdk/lib/observability.ts NODE_METRICS queries them (the test pins the two together). */
export const EMF_METRIC_NAMES = {
  presignaturesAvailable: 'PresignaturesAvailable',
  signLatency: 'SignLatency',
} as const;

/** EMF allows at most 100 values per metric in one document; more latencies go into further lines. */
export const EMF_MAX_VALUES_PER_METRIC = 100;

/** Where lines go; `process.stdout` in the node. */
export interface EmfOutput {
  write(line: string): unknown;
}

export interface EmfMetricsPublisherOptions {
  /** CloudWatch namespace (config METRICS_NAMESPACE). */
  readonly namespace: string;
  readonly output?: EmfOutput;
  /** Milliseconds since the epoch, stamped on each line (injectable for tests). */
  readonly now?: () => number;
}

type EmfUnit = 'Count' | 'Milliseconds';

interface EmfMetricDefinition {
  readonly Name: string;
  readonly Unit: EmfUnit;
}

/** One EMF document: the `_aws` metadata plus each metric's value(s) as top-level members. */
export interface EmfDocument {
  readonly _aws: {
    readonly Timestamp: number;
    readonly CloudWatchMetrics: readonly [
      { readonly Namespace: string; readonly Dimensions: readonly [readonly []]; readonly Metrics: readonly EmfMetricDefinition[] },
    ];
  };
  readonly [metricName: string]: unknown;
}

/**
 * Collects the node's metrics between flushes: the latest presignature count (a gauge) and every sign
 * latency observed. `flush()` writes them and starts over; call it on a timer (e.g. every 60 s, the
 * alarms' resolution) and once at shutdown.
 */
export class EmfMetricsPublisher {
  private readonly namespace: string;
  private readonly output: EmfOutput;
  private readonly now: () => number;
  private presignaturesAvailable: number | undefined;
  private signLatenciesMs: number[] = [];

  constructor(options: EmfMetricsPublisherOptions) {
    if (options.namespace.length === 0) throw new Error('an EMF namespace must not be empty');
    this.namespace = options.namespace;
    this.output = options.output ?? process.stdout;
    this.now = options.now ?? Date.now;
  }

  /** The presignatures this node owns and can use now; the last value before a flush is published. */
  setPresignaturesAvailable(count: number): void {
    if (!Number.isFinite(count) || count < 0) throw new RangeError(`presignatures available must be a finite count ≥ 0, got ${count}`);
    this.presignaturesAvailable = count;
  }

  /** Milliseconds from the request's block to the respond transaction, for a request this node led. */
  recordSignLatency(milliseconds: number): void {
    if (!Number.isFinite(milliseconds) || milliseconds < 0) throw new RangeError(`sign latency must be finite milliseconds ≥ 0, got ${milliseconds}`);
    this.signLatenciesMs.push(milliseconds);
  }

  /**
   * Writes the collected metrics as EMF lines and clears the latencies; the gauge keeps its value so it
   * is reported every flush (the stockpile alarm treats a missing datapoint as breaching). Writes nothing
   * before the first observation. Returns the documents written.
   */
  flush(): EmfDocument[] {
    const documents = emfDocuments(this.namespace, this.now(), this.presignaturesAvailable, this.signLatenciesMs);
    this.signLatenciesMs = [];
    for (const document of documents) this.output.write(`${JSON.stringify(document)}\n`);
    return documents;
  }
}

/**
 * The EMF documents for one flush: normally one, holding the gauge and up to
 * {@link EMF_MAX_VALUES_PER_METRIC} latencies; further latencies in latency-only documents.
 */
export function emfDocuments(
  namespace: string,
  timestampMs: number,
  presignaturesAvailable: number | undefined,
  signLatenciesMs: readonly number[],
): EmfDocument[] {
  const documents: EmfDocument[] = [];
  let offset = 0;
  do {
    const latencies = signLatenciesMs.slice(offset, offset + EMF_MAX_VALUES_PER_METRIC);
    const gauge = offset === 0 ? presignaturesAvailable : undefined;
    const metrics: EmfMetricDefinition[] = [];
    const values: Record<string, number | number[]> = {};
    if (gauge !== undefined) {
      metrics.push({ Name: EMF_METRIC_NAMES.presignaturesAvailable, Unit: 'Count' });
      values[EMF_METRIC_NAMES.presignaturesAvailable] = gauge;
    }
    if (latencies.length > 0) {
      metrics.push({ Name: EMF_METRIC_NAMES.signLatency, Unit: 'Milliseconds' });
      values[EMF_METRIC_NAMES.signLatency] = latencies;
    }
    if (metrics.length > 0) {
      documents.push({
        _aws: { Timestamp: timestampMs, CloudWatchMetrics: [{ Namespace: namespace, Dimensions: [[]], Metrics: metrics }] },
        ...values,
      });
    }
    offset += EMF_MAX_VALUES_PER_METRIC;
  } while (offset < signLatenciesMs.length);
  return documents;
}
