/** The one record shape every benchmark writes (issue 3): metric name, network size, threshold, value, unit. */
export interface BenchRecord {
  readonly metric: string;
  readonly n: number;
  readonly t: number;
  readonly value: number;
  readonly unit: string;
}

/** A benchmark suite: gets a progress printer, returns its records. */
export interface BenchSuite {
  readonly name: string;
  /** Groups suites for `--only <group>` (e.g. `crypto`, `indexer`, `e2e`). */
  readonly group: string;
  run(progress: (line: string) => void): Promise<readonly BenchRecord[]>;
}

/** Median of a non-empty sample (machines are noisy: report medians). */
export function median(samples: readonly number[]): number {
  if (samples.length === 0) throw new RangeError('median of no samples');
  const sorted = [...samples].sort((a, b) => a - b);
  const middle = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

/** Times `body` `repetitions` times and returns the median in milliseconds. */
export function medianMs(repetitions: number, body: () => void): number {
  const samples: number[] = [];
  for (let i = 0; i < repetitions; i += 1) {
    const start = process.hrtime.bigint();
    body();
    samples.push(Number(process.hrtime.bigint() - start) / 1e6);
  }
  return median(samples);
}
