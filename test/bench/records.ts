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

/**
 * CPU milliseconds (user + system, this process) one call of `body` takes. CPU time rather than wall
 * time: on a shared host a 20 ms run is preempted where a 1 ms call is not, which would skew ratios;
 * the measured bodies are synchronous and single-threaded, so process CPU time is their work.
 */
export function cpuMs(body: () => void): number {
  const start = process.cpuUsage();
  body();
  const used = process.cpuUsage(start);
  return (used.user + used.system) / 1000;
}

/** Median of `repetitions` {@link cpuMs} samples of `body`. */
export function medianCpuMs(repetitions: number, body: () => void): number {
  return median(Array.from({ length: repetitions }, () => cpuMs(body)));
}
