/**
 * The stockpile maths (table-driven), the policy parser, and the SSM-backed source. The source is tested
 * with a FAKE SSM client: there is no local SSM emulator available to this project, so `FakeSsm` answers
 * GetParameter from a map (or fails on demand) and records each command and its abort signal.
 */
import { GetParameterCommand, ParameterNotFound, SSMClient, type GetParameterCommandOutput } from '@aws-sdk/client-ssm';
import { stockpilePolicy as cdkStockpilePolicy } from '../../cdk/lib/stockpile-scaling.js';
import {
  DemandTracker,
  generationConcurrency,
  parseStockpilePolicy,
  SsmStockpilePolicySource,
  StaticStockpilePolicy,
  stockpileTarget,
  StockpilePolicyError,
  StockpilePolicyReadError,
  tripleTargetFor,
  type ScheduleOnce,
  type SsmParameterClient,
  type StockpilePolicy,
} from './stockpile-policy.js';

/** Compile-time check that the real client fits the source's client type (no call is made). */
export const realClientFits = (client: SSMClient): SsmParameterClient => client;

const POLICY: StockpilePolicy = { minPresignatures: 10, maxPresignatures: 500, maxGenerationConcurrency: 4, demandWindowSeconds: 3600, coverSeconds: 1800 };
const T0 = Date.UTC(2026, 10, 21, 12, 0, 0);

describe('stockpileTarget = clamp(min, max, ceil(rate × cover))', () => {
  it.each([
    { case: 'no demand: the floor', rate: 0, expected: 10 },
    { case: 'demand below the floor', rate: 3 / 1800, expected: 10 },
    { case: 'exactly the floor', rate: 10 / 1800, expected: 10 },
    { case: 'just above the floor rounds up', rate: 10.2 / 1800, expected: 11 },
    { case: '114 requests in an hour, 30 min cover (57.00000000000001): float noise must not add one', rate: 114 / 3600, expected: 57 },
    { case: '60 requests in an hour: 30 needed', rate: 60 / 3600, expected: 30 },
    { case: '0.1/s for 1800 s', rate: 0.1, expected: 180 },
    { case: 'at the ceiling', rate: 500 / 1800, expected: 500 },
    { case: 'above the ceiling: clamped', rate: 5, expected: 500 },
  ])('$case (rate $rate/s) → $expected', ({ rate, expected }) => {
    expect(stockpileTarget(POLICY, rate)).toBe(expected);
  });

  it('uses the cover of the policy given', () => {
    expect(stockpileTarget({ ...POLICY, coverSeconds: 600 }, 0.1)).toBe(60);
  });
});

describe('generationConcurrency: fewer generations the smaller the deficit', () => {
  it.each([
    { case: 'full', target: 100, available: 100, expected: 0 },
    { case: 'over-full', target: 100, available: 130, expected: 0 },
    { case: 'one short: one protocol', target: 100, available: 99, expected: 1 },
    { case: 'a quarter short', target: 100, available: 75, expected: 1 },
    { case: 'just over a quarter short', target: 100, available: 74, expected: 2 },
    { case: 'half short', target: 100, available: 50, expected: 2 },
    { case: 'three quarters short', target: 100, available: 25, expected: 3 },
    { case: 'empty: the maximum', target: 100, available: 0, expected: 4 },
    { case: 'zero target', target: 0, available: 0, expected: 0 },
  ])('$case ($available of $target) → $expected', ({ target, available, expected }) => {
    expect(generationConcurrency(POLICY, { target, available })).toBe(expected);
  });

  it('never exceeds maxGenerationConcurrency and is monotone in the deficit', () => {
    let previous = 0;
    for (let available = 200; available >= 0; available -= 1) {
      const concurrency = generationConcurrency(POLICY, { target: 200, available });
      expect(concurrency).toBeGreaterThanOrEqual(previous);
      expect(concurrency).toBeLessThanOrEqual(POLICY.maxGenerationConcurrency);
      previous = concurrency;
    }
    expect(previous).toBe(POLICY.maxGenerationConcurrency);
  });

  it('keeps two triples per presignature', () => {
    expect(tripleTargetFor(30)).toBe(60);
  });
});

describe('DemandTracker', () => {
  it.each([
    { case: 'nothing seen', seenAtSecondsAgo: [], window: 60, expected: 0 },
    { case: 'all inside the window', seenAtSecondsAgo: [1, 2, 30, 59], window: 60, expected: 4 / 60 },
    { case: 'one exactly a window ago is out', seenAtSecondsAgo: [60, 10], window: 60, expected: 1 / 60 },
    { case: 'old ones are out', seenAtSecondsAgo: [3000, 1000, 5], window: 600, expected: 1 / 600 },
    { case: 'several in one second', seenAtSecondsAgo: [5, 5, 5], window: 10, expected: 3 / 10 },
  ])('$case → $expected/s', ({ seenAtSecondsAgo, window, expected }) => {
    const tracker = new DemandTracker();
    for (const ago of [...seenAtSecondsAgo].sort((a, b) => b - a)) tracker.record(T0 - ago * 1000);
    expect(tracker.rate(T0, window)).toBeCloseTo(expected, 12);
  });

  it('forgets requests as time passes, and counts a late timestamp as current demand', () => {
    const tracker = new DemandTracker();
    tracker.record(T0);
    tracker.record(T0 + 30_000);
    tracker.record(T0 + 10_000); // late report: counted in the newest second
    expect(tracker.rate(T0 + 30_000, 60)).toBeCloseTo(3 / 60, 12);
    expect(tracker.rate(T0 + 61_000, 60)).toBeCloseTo(2 / 60, 12);
    expect(tracker.rate(T0 + 91_000, 60)).toBe(0);
  });

  it('feeds the target: 120 requests in the last hour with 30 min cover → 60 presignatures', () => {
    const tracker = new DemandTracker();
    for (let index = 0; index < 120; index += 1) tracker.record(T0 - 3_000_000 + index * 25_000);
    expect(stockpileTarget(POLICY, tracker.rate(T0, POLICY.demandWindowSeconds))).toBe(60);
  });

  it('rejects a non-positive window', () => {
    expect(() => new DemandTracker().rate(T0, 0)).toThrow(RangeError);
  });
});

describe('parseStockpilePolicy', () => {
  it("parses the document cdk/lib/stockpile-scaling.ts writes into the parameter", () => {
    const written = cdkStockpilePolicy({ minPresignatures: 16, maxPresignatures: 256, maxGenerationConcurrency: 3, demandWindowMinutes: 60, coverMinutes: 30 });
    expect(parseStockpilePolicy(JSON.stringify(written), 'cdk')).toEqual({
      minPresignatures: 16,
      maxPresignatures: 256,
      maxGenerationConcurrency: 3,
      demandWindowSeconds: 3600,
      coverSeconds: 1800,
    });
  });

  it.each([
    { case: 'not JSON', text: '{"minPresignatures": 1,', field: '(document)' },
    { case: 'not an object', text: '[]', field: '(document)' },
    { case: 'missing field', text: JSON.stringify({ ...POLICY, coverSeconds: undefined }), field: 'coverSeconds' },
    { case: 'string number', text: JSON.stringify({ ...POLICY, maxGenerationConcurrency: '4' }), field: 'maxGenerationConcurrency' },
    { case: 'zero', text: JSON.stringify({ ...POLICY, demandWindowSeconds: 0 }), field: 'demandWindowSeconds' },
    { case: 'fraction', text: JSON.stringify({ ...POLICY, minPresignatures: 1.5 }), field: 'minPresignatures' },
    { case: 'min above max', text: JSON.stringify({ ...POLICY, minPresignatures: 600 }), field: 'maxPresignatures' },
  ])('names the bad field: $case → $field', ({ text, field }) => {
    const failure = (() => {
      try {
        parseStockpilePolicy(text, 'SSM parameter /x/policy');
        return undefined;
      } catch (error) {
        return error;
      }
    })();
    expect(failure).toBeInstanceOf(StockpilePolicyError);
    const error = failure as StockpilePolicyError;
    expect(error.source).toBe('SSM parameter /x/policy');
    expect(error.problems.map((problem) => problem.field)).toEqual([field]);
    expect(error.message).toContain(`SSM parameter /x/policy: ${field}: `);
  });
});

describe('StaticStockpilePolicy', () => {
  it('holds the environment targets whatever the demand', () => {
    const source = new StaticStockpilePolicy({ PRESIGNATURE_TARGET: 64, TRIPLE_TARGET: 100, MAX_CONCURRENT_GENERATIONS: 2 });
    const policy = source.policy();
    expect(stockpileTarget(policy, 0)).toBe(64);
    expect(stockpileTarget(policy, 1000)).toBe(64);
    expect(policy.maxGenerationConcurrency).toBe(2);
    expect(source.tripleTarget()).toBe(100);
  });
});

/** GetParameter from `values`; a value that is an Error is thrown instead. */
class FakeSsm implements SsmParameterClient {
  readonly sent: { command: GetParameterCommand; abortSignal: AbortSignal | undefined }[] = [];
  constructor(readonly values: Map<string, string | Error>) {}

  async send(command: GetParameterCommand, options?: { abortSignal?: AbortSignal }): Promise<GetParameterCommandOutput> {
    this.sent.push({ command, abortSignal: options?.abortSignal });
    const name = command.input.Name ?? '';
    const value = this.values.get(name);
    if (value instanceof Error) throw value;
    if (value === undefined) throw new ParameterNotFound({ message: '', $metadata: {} });
    return { Parameter: { Name: name, Type: 'String', Value: value }, $metadata: {} };
  }
}

/** Holds scheduled callbacks until the test runs them. */
function manualSchedule(): ScheduleOnce & { pending: { delayMs: number; callback: () => void; cancelled: boolean }[] } {
  const pending: { delayMs: number; callback: () => void; cancelled: boolean }[] = [];
  const schedule = ((delayMs: number, callback: () => void) => {
    const entry = { delayMs, callback, cancelled: false };
    pending.push(entry);
    return () => {
      entry.cancelled = true;
    };
  }) as ScheduleOnce & { pending: typeof pending };
  schedule.pending = pending;
  return schedule;
}

/** Runs the newest scheduled callback and lets its read settle. */
async function runNext(schedule: ReturnType<typeof manualSchedule>): Promise<void> {
  const next = schedule.pending.at(-1)!;
  expect(next.cancelled).toBe(false);
  next.callback();
  await new Promise((resolve) => setImmediate(resolve));
}

describe('SsmStockpilePolicySource', () => {
  const NAME = '/chainsig/stockpile-policy';
  const FALLBACK: StockpilePolicy = { ...POLICY, minPresignatures: 8, maxPresignatures: 8 };

  it('reads the parameter at start, re-reads it every interval, and keeps the last good policy when a read fails', async () => {
    const ssm = new FakeSsm(new Map([[NAME, JSON.stringify(POLICY)]]));
    const schedule = manualSchedule();
    const failures: Error[] = [];
    const source = new SsmStockpilePolicySource({
      client: ssm,
      parameterName: NAME,
      fallback: FALLBACK,
      refreshIntervalMs: 120_000,
      schedule,
      onRefreshFailed: (error) => failures.push(error),
    });
    expect(source.policy()).toEqual(FALLBACK);

    await source.start();
    expect(source.policy()).toEqual(POLICY);
    expect(ssm.sent[0]!.command.input).toEqual({ Name: NAME });
    expect(ssm.sent[0]!.abortSignal).toBeInstanceOf(AbortSignal);
    expect(schedule.pending.map((entry) => entry.delayMs)).toEqual([120_000]);

    const raised = { ...POLICY, minPresignatures: 100, maxPresignatures: 2000 };
    ssm.values.set(NAME, JSON.stringify(raised));
    await runNext(schedule);
    expect(source.policy()).toEqual(raised);

    ssm.values.set(NAME, new Error('ThrottlingException'));
    await runNext(schedule);
    expect(source.policy()).toEqual(raised);
    expect(failures.at(-1)).toBeInstanceOf(StockpilePolicyReadError);
    expect(failures.at(-1)!.message).toContain(NAME);

    ssm.values.set(NAME, JSON.stringify({ ...POLICY, coverSeconds: -1 }));
    await runNext(schedule);
    expect(source.policy()).toEqual(raised);
    expect(failures.at(-1)).toBeInstanceOf(StockpilePolicyError);
    expect(failures.at(-1)!.message).toContain('coverSeconds');

    expect(ssm.sent).toHaveLength(4);
    expect(schedule.pending).toHaveLength(4);
    source.stop();
    expect(schedule.pending.at(-1)!.cancelled).toBe(true);
  });

  it('starts on the fallback when the parameter cannot be read, and says why', async () => {
    const failures: Error[] = [];
    const source = new SsmStockpilePolicySource({
      client: new FakeSsm(new Map()),
      parameterName: NAME,
      fallback: FALLBACK,
      schedule: manualSchedule(),
      onRefreshFailed: (error) => failures.push(error),
    });
    await source.start();
    expect(source.policy()).toEqual(FALLBACK);
    expect(failures).toHaveLength(1);
    expect(failures[0]).toBeInstanceOf(StockpilePolicyReadError);
    expect(failures[0]!.message).toContain('ParameterNotFound');
  });

  it('refresh() reports a failed read to its caller as a typed error', async () => {
    const source = new SsmStockpilePolicySource({ client: new FakeSsm(new Map([[NAME, 'not json']])), parameterName: NAME, fallback: FALLBACK });
    await expect(source.refresh()).rejects.toMatchObject({ name: 'StockpilePolicyError', source: `SSM parameter ${NAME}` });
    expect(source.tripleTarget(40)).toBe(80);
  });
});
