import { NODE_METRICS } from '../../../cdk/lib/observability.js';
import { METRICS_NAMESPACE } from '../../../cdk/lib/operator-stack.js';
import { loadNodeConfig } from '../config.js';
import { EMF_MAX_VALUES_PER_METRIC, EmfMetricsPublisher, type EmfOutput } from './emf.js';

const NOW = Date.UTC(2026, 10, 21, 12, 0, 0);

function capture(): EmfOutput & { lines: string[] } {
  const sink = {
    lines: [] as string[],
    write(line: string) {
      sink.lines.push(line);
      return true;
    },
  };
  return sink;
}

/**
 * Checks one parsed line against the EMF specification's required shape: `_aws.Timestamp` (epoch
 * milliseconds), `_aws.CloudWatchMetrics` directives with Namespace, Dimensions (arrays of member
 * names, each a top-level member) and Metrics [{Name, Unit}], each metric's value(s) a top-level member
 * that is a number or an array of at most 100 numbers.
 */
function expectValidEmf(document: Record<string, unknown>): void {
  const metadata = document._aws as { Timestamp: unknown; CloudWatchMetrics: unknown };
  expect(Number.isInteger(metadata.Timestamp)).toBe(true);
  expect(Array.isArray(metadata.CloudWatchMetrics)).toBe(true);
  for (const directive of metadata.CloudWatchMetrics as { Namespace: unknown; Dimensions: unknown; Metrics: unknown }[]) {
    expect(typeof directive.Namespace).toBe('string');
    expect(Array.isArray(directive.Dimensions)).toBe(true);
    for (const dimensionSet of directive.Dimensions as unknown[][]) {
      expect(dimensionSet.length).toBeLessThanOrEqual(30);
      for (const dimension of dimensionSet) expect(typeof document[dimension as string]).toBe('string');
    }
    const metrics = directive.Metrics as { Name: string; Unit: string }[];
    expect(metrics.length).toBeGreaterThan(0);
    for (const metric of metrics) {
      const value = document[metric.Name];
      const values = Array.isArray(value) ? value : [value];
      expect(values.length).toBeGreaterThan(0);
      expect(values.length).toBeLessThanOrEqual(100);
      for (const v of values) expect(typeof v).toBe('number');
    }
  }
}

describe('EmfMetricsPublisher', () => {
  it('writes one EMF line with both metrics, named, namespaced and dimensioned as the CDK alarms query them', () => {
    const output = capture();
    const publisher = new EmfMetricsPublisher({ namespace: METRICS_NAMESPACE, output, now: () => NOW });
    publisher.setPresignaturesAvailable(17);
    publisher.setPresignaturesAvailable(12);
    publisher.recordSignLatency(850);
    publisher.recordSignLatency(1200.5);
    publisher.flush();

    expect(output.lines).toHaveLength(1);
    expect(output.lines[0]!.endsWith('\n')).toBe(true);
    expect(output.lines[0]!.trimEnd()).not.toContain('\n');
    const document = JSON.parse(output.lines[0]!) as Record<string, unknown>;
    expectValidEmf(document);
    expect(document).toEqual({
      _aws: {
        Timestamp: NOW,
        CloudWatchMetrics: [
          {
            Namespace: METRICS_NAMESPACE,
            // cdk/lib/observability.ts builds both alarm metrics without dimensionsMap.
            Dimensions: [[]],
            Metrics: [
              { Name: NODE_METRICS.presignaturesAvailable, Unit: 'Count' },
              { Name: NODE_METRICS.signLatency, Unit: 'Milliseconds' },
            ],
          },
        ],
      },
      [NODE_METRICS.presignaturesAvailable]: 12,
      [NODE_METRICS.signLatency]: [850, 1200.5],
    });
  });

  it("uses the namespace the node's config defaults to, which is the stack's", () => {
    const config = loadNodeConfig({
      NODE_ACCOUNT_ID: 'node1.testnet',
      NODE_ACCOUNT_SECRET_KEY: 'ed25519:3D4YudUahN1nawWogh8pAKSj92sUNMdbZGjn7kERKzYoTy8tnFQuwoGUC51DowKqorvkr2pytJSnwuSbsNVfqygr',
      MPC_CONTRACT_ID: 'v1.signer-prod.testnet',
      NEAR_RPC_URL: 'http://127.0.0.1:3030',
      SIGN_REQUESTS_QUEUE_URL: 'http://127.0.0.1:4566/000000000000/sign-requests',
      KEY_SHARES_TABLE: 'key-shares',
      TRIPLES_TABLE: 'triples',
      PRESIGNATURES_TABLE: 'presignatures',
      MESH_LISTEN: '0.0.0.0:9000',
      MESH_SIGN_SECRET_KEY: '11'.repeat(32),
      SEALING: 'local-file',
      LOCAL_MASTER_KEY_FILE: '/tmp/master.key',
    });
    expect(config.METRICS_NAMESPACE).toBe(METRICS_NAMESPACE);
  });

  it('reports the gauge every flush but each latency once, and writes nothing before any observation', () => {
    const output = capture();
    let now = NOW;
    const publisher = new EmfMetricsPublisher({ namespace: 'Test', output, now: () => now });
    expect(publisher.flush()).toEqual([]);
    expect(output.lines).toEqual([]);

    publisher.setPresignaturesAvailable(5);
    publisher.recordSignLatency(40);
    publisher.flush();
    now += 60_000;
    publisher.flush();

    const [first, second] = output.lines.map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(first![NODE_METRICS.signLatency]).toEqual([40]);
    expect(second).toEqual({
      _aws: { Timestamp: NOW + 60_000, CloudWatchMetrics: [{ Namespace: 'Test', Dimensions: [[]], Metrics: [{ Name: NODE_METRICS.presignaturesAvailable, Unit: 'Count' }] }] },
      [NODE_METRICS.presignaturesAvailable]: 5,
    });
  });

  it('publishes latencies alone when no gauge was set', () => {
    const output = capture();
    const publisher = new EmfMetricsPublisher({ namespace: 'Test', output, now: () => NOW });
    publisher.recordSignLatency(3);
    const [document] = publisher.flush();
    expect(document!._aws.CloudWatchMetrics[0].Metrics).toEqual([{ Name: NODE_METRICS.signLatency, Unit: 'Milliseconds' }]);
    expect(document).not.toHaveProperty(NODE_METRICS.presignaturesAvailable);
  });

  it('splits more than 100 latencies over several lines (the EMF per-metric limit), the gauge only in the first', () => {
    const output = capture();
    const publisher = new EmfMetricsPublisher({ namespace: 'Test', output, now: () => NOW });
    publisher.setPresignaturesAvailable(9);
    const latencies = Array.from({ length: 2 * EMF_MAX_VALUES_PER_METRIC + 1 }, (_, index) => index);
    for (const latency of latencies) publisher.recordSignLatency(latency);
    publisher.flush();

    const documents = output.lines.map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(documents).toHaveLength(3);
    documents.forEach(expectValidEmf);
    expect(documents.map((document) => document[NODE_METRICS.presignaturesAvailable])).toEqual([9, undefined, undefined]);
    expect(documents.flatMap((document) => document[NODE_METRICS.signLatency] as number[])).toEqual(latencies);
  });

  it('refuses values CloudWatch cannot store', () => {
    const publisher = new EmfMetricsPublisher({ namespace: 'Test', output: capture() });
    expect(() => publisher.setPresignaturesAvailable(-1)).toThrow(RangeError);
    expect(() => publisher.recordSignLatency(Number.NaN)).toThrow(RangeError);
    expect(() => new EmfMetricsPublisher({ namespace: '' })).toThrow(/namespace/);
  });
});
