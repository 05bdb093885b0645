/**
 * The demand-following stockpile (cdk/lib/stockpile-scaling.ts): every stored triple or presignature
 * costs DynamoDB writes, KMS data keys and mesh traffic, so the node keeps only what the observed demand
 * needs:
 *   target = clamp(minPresignatures, maxPresignatures, ceil(rate × coverSeconds))
 * with the sign-request rate measured over `demandWindowSeconds`. The policy is a JSON document in an
 * SSM parameter (STOCKPILE_POLICY_PARAMETER) re-read every few minutes; without the parameter the static
 * targets from the environment apply.
 *
 * The maths is pure (DemandTracker, stockpileTarget, generationConcurrency); the sources only supply a
 * validated policy.
 */
import { GetParameterCommand, type GetParameterCommandOutput } from '@aws-sdk/client-ssm';
import { z } from 'zod';
import type { NodeConfig } from './config.js';

const positiveInt = z.number().int().positive();

/** The parameter's document, field for field as cdk/lib/stockpile-scaling.ts `stockpilePolicy()` writes it. */
const stockpilePolicySchema = z
  .object({
    minPresignatures: positiveInt,
    maxPresignatures: positiveInt,
    maxGenerationConcurrency: positiveInt,
    demandWindowSeconds: positiveInt,
    coverSeconds: positiveInt,
  })
  .refine((policy) => policy.minPresignatures <= policy.maxPresignatures, {
    path: ['maxPresignatures'],
    message: 'must be at least minPresignatures',
  });

export type StockpilePolicy = Readonly<z.infer<typeof stockpilePolicySchema>>;

/** One presignature consumes two triples. */
export const TRIPLES_PER_PRESIGNATURE = 2;

// ---------------------------------------------------------------------------------------------------
// Parsing

export interface StockpilePolicyProblem {
  /** The document field at fault, e.g. `coverSeconds`; `(document)` when the whole text is unusable. */
  readonly field: string;
  readonly message: string;
}

/** A stockpile policy document is unusable; `problems` names each bad field. */
export class StockpilePolicyError extends Error {
  constructor(
    /** Where the document came from (parameter name), for the operator reading the log. */
    readonly source: string,
    readonly problems: readonly StockpilePolicyProblem[],
  ) {
    super(`invalid stockpile policy in ${source}: ${problems.map((problem) => `${problem.field}: ${problem.message}`).join('; ')}`);
    this.name = 'StockpilePolicyError';
  }
}

/** Parses and validates the parameter's JSON text; throws {@link StockpilePolicyError}. */
export function parseStockpilePolicy(json: string, source: string): StockpilePolicy {
  let document: unknown;
  try {
    document = JSON.parse(json);
  } catch (error) {
    throw new StockpilePolicyError(source, [{ field: '(document)', message: `not JSON (${(error as Error).message})` }]);
  }
  const parsed = stockpilePolicySchema.safeParse(document);
  if (parsed.success) return parsed.data;
  throw new StockpilePolicyError(
    source,
    parsed.error.issues.map((issue) => ({ field: issue.path.join('.') || '(document)', message: issue.message })),
  );
}

// ---------------------------------------------------------------------------------------------------
// Demand and targets (pure)

/**
 * Sign requests this node has seen, counted per second so memory stays bounded by the window (at most
 * one bucket per second) whatever the request rate.
 */
export class DemandTracker {
  /** [second since the epoch, requests seen in it], oldest first. */
  private readonly buckets: [second: number, count: number][] = [];

  record(atMs: number): void {
    const second = Math.floor(atMs / 1000);
    const last = this.buckets.at(-1);
    // A timestamp older than the newest bucket (clock step, late report) still counts as demand now.
    if (last !== undefined && second <= last[0]) last[1] += 1;
    else this.buckets.push([second, 1]);
  }

  /**
   * Requests per second over the last `windowSeconds` before `nowMs`. Always divides by the whole window:
   * right after start-up this underestimates, which only keeps the stockpile nearer its floor.
   */
  rate(nowMs: number, windowSeconds: number): number {
    if (!(windowSeconds > 0)) throw new RangeError(`demand window must be positive, got ${windowSeconds}`);
    const oldestCounted = Math.floor(nowMs / 1000) - windowSeconds;
    while (this.buckets.length > 0 && this.buckets[0]![0] <= oldestCounted) this.buckets.shift();
    let requests = 0;
    for (const [, count] of this.buckets) requests += count;
    return requests / windowSeconds;
  }
}

/**
 * Float products such as 114/3600 × 1800 land a hair above the integer (57.00000000000001); without this
 * tolerance `ceil` would keep one presignature more than the formula means.
 */
const CEIL_TOLERANCE = 1e-9;

/** clamp(minPresignatures, maxPresignatures, ceil(rate × coverSeconds)). */
export function stockpileTarget(policy: StockpilePolicy, requestsPerSecond: number): number {
  const demand = Math.max(0, Math.ceil(requestsPerSecond * policy.coverSeconds - CEIL_TOLERANCE));
  return Math.min(policy.maxPresignatures, Math.max(policy.minPresignatures, demand));
}

/** Triples to keep for a presignature target (two per presignature). */
export function tripleTargetFor(presignatureTarget: number): number {
  return TRIPLES_PER_PRESIGNATURE * presignatureTarget;
}

/**
 * How many generation protocols to run now: none when the stockpile is full, otherwise the share of
 * maxGenerationConcurrency that the missing fraction of the target calls for (at least one). A stockpile
 * a few items short is topped up by one protocol instead of a burst of parallel ones competing with
 * signing for CPU and mesh bandwidth.
 */
export function generationConcurrency(policy: StockpilePolicy, stock: { readonly target: number; readonly available: number }): number {
  const deficit = stock.target - stock.available;
  if (deficit <= 0 || stock.target <= 0) return 0;
  const share = Math.ceil((policy.maxGenerationConcurrency * deficit) / stock.target - CEIL_TOLERANCE);
  return Math.min(policy.maxGenerationConcurrency, Math.max(1, share));
}

// ---------------------------------------------------------------------------------------------------
// Sources

export interface StockpilePolicySource {
  /** The policy in force now (never throws; a source keeps its last good policy). */
  policy(): StockpilePolicy;
  /** Triples to keep for a presignature target. */
  tripleTarget(presignatureTarget: number): number;
}

/** Environment defaults for the window and cover, which do not matter when min = max. */
const STATIC_DEMAND_WINDOW_SECONDS = 3600;
const STATIC_COVER_SECONDS = 1800;

/** Without STOCKPILE_POLICY_PARAMETER: fixed targets from the environment, whatever the demand. */
export class StaticStockpilePolicy implements StockpilePolicySource {
  private readonly fixed: StockpilePolicy;
  private readonly triples: number;

  constructor(config: Pick<NodeConfig, 'PRESIGNATURE_TARGET' | 'TRIPLE_TARGET' | 'MAX_CONCURRENT_GENERATIONS'>) {
    this.fixed = {
      minPresignatures: config.PRESIGNATURE_TARGET,
      maxPresignatures: config.PRESIGNATURE_TARGET,
      maxGenerationConcurrency: config.MAX_CONCURRENT_GENERATIONS,
      demandWindowSeconds: STATIC_DEMAND_WINDOW_SECONDS,
      coverSeconds: STATIC_COVER_SECONDS,
    };
    this.triples = config.TRIPLE_TARGET;
  }

  policy(): StockpilePolicy {
    return this.fixed;
  }

  /** TRIPLE_TARGET as configured: the static target is not derived from the presignature count. */
  tripleTarget(): number {
    return this.triples;
  }
}

/** The one SSM call the source makes; `SSMClient` satisfies it, tests pass a fake. */
export interface SsmParameterClient {
  send(command: GetParameterCommand, options?: { abortSignal?: AbortSignal }): Promise<GetParameterCommandOutput>;
}

/** Reading the parameter failed (SSM error, timeout, or no value); the document's own faults are StockpilePolicyError. */
export class StockpilePolicyReadError extends Error {
  constructor(
    readonly parameterName: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(`cannot read stockpile policy parameter ${parameterName}: ${message}`, options);
    this.name = 'StockpilePolicyReadError';
  }
}

/** Runs `callback` once after `delayMs`; returns a cancel function. Injectable so tests drive time. */
export type ScheduleOnce = (delayMs: number, callback: () => void) => () => void;

const scheduleWithTimers: ScheduleOnce = (delayMs, callback) => {
  const timer = setTimeout(callback, delayMs);
  // A pending re-read must not keep a stopping node alive.
  timer.unref();
  return () => clearTimeout(timer);
};

export interface SsmStockpilePolicySourceOptions {
  readonly client: SsmParameterClient;
  readonly parameterName: string;
  /** In force until the first successful read (the static targets, which the CDK sets to the policy's floor). */
  readonly fallback: StockpilePolicy;
  /** Pause between reads (default 5 minutes). */
  readonly refreshIntervalMs?: number;
  /** Abandon a read after this long (default 10 s), so a hung call cannot stop the refreshes. */
  readonly readTimeoutMs?: number;
  /** Told of every failed read; the source keeps its last good policy. */
  readonly onRefreshFailed?: (error: StockpilePolicyReadError | StockpilePolicyError) => void;
  readonly schedule?: ScheduleOnce;
}

/**
 * The policy from the SSM parameter, re-read every `refreshIntervalMs` so an operator can raise it ahead
 * of a known launch without a deployment. A failed or invalid read keeps the last good policy.
 * Not Powertools Parameters (decision 0013): its cache refreshes on an awaited read, while `policy()` is
 * synchronous, and its `get()` takes no abort signal for the read deadline.
 */
export class SsmStockpilePolicySource implements StockpilePolicySource {
  private current: StockpilePolicy;
  private cancelNext: (() => void) | undefined;
  private stopped = true;
  private readonly refreshIntervalMs: number;
  private readonly readTimeoutMs: number;
  private readonly schedule: ScheduleOnce;

  constructor(private readonly options: SsmStockpilePolicySourceOptions) {
    this.current = options.fallback;
    this.refreshIntervalMs = options.refreshIntervalMs ?? 5 * 60_000;
    this.readTimeoutMs = options.readTimeoutMs ?? 10_000;
    this.schedule = options.schedule ?? scheduleWithTimers;
    if (!(this.refreshIntervalMs > 0)) throw new RangeError(`refresh interval must be positive, got ${this.refreshIntervalMs}`);
  }

  policy(): StockpilePolicy {
    return this.current;
  }

  tripleTarget(presignatureTarget: number): number {
    return tripleTargetFor(presignatureTarget);
  }

  /** Reads the parameter once; on success the result is in force. Throws the typed errors above. */
  async refresh(): Promise<StockpilePolicy> {
    const { parameterName } = this.options;
    let output: GetParameterCommandOutput;
    try {
      output = await this.options.client.send(new GetParameterCommand({ Name: parameterName }), {
        abortSignal: AbortSignal.timeout(this.readTimeoutMs),
      });
    } catch (error) {
      const reason = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
      throw new StockpilePolicyReadError(parameterName, reason, { cause: error });
    }
    const text = output.Parameter?.Value;
    if (text === undefined) throw new StockpilePolicyReadError(parameterName, 'the parameter has no value');
    this.current = parseStockpilePolicy(text, `SSM parameter ${parameterName}`);
    return this.current;
  }

  /**
   * Reads now, then again `refreshIntervalMs` after each read ends (so reads never overlap). Resolves
   * after the first read, successful or not: a node must start even when SSM is unreachable.
   */
  async start(): Promise<void> {
    if (!this.stopped) return;
    this.stopped = false;
    await this.refreshAndReschedule();
  }

  stop(): void {
    this.stopped = true;
    this.cancelNext?.();
    this.cancelNext = undefined;
  }

  private async refreshAndReschedule(): Promise<void> {
    try {
      await this.refresh();
    } catch (error) {
      // This runs from a timer: nothing may escape it, or the process dies of an unhandled rejection.
      const failure =
        error instanceof StockpilePolicyReadError || error instanceof StockpilePolicyError
          ? error
          : new StockpilePolicyReadError(this.options.parameterName, String(error), { cause: error });
      this.options.onRefreshFailed?.(failure);
    } finally {
      if (!this.stopped) {
        this.cancelNext = this.schedule(this.refreshIntervalMs, () => {
          void this.refreshAndReschedule();
        });
      }
    }
  }
}
