/**
 * Loads the keys a node serves with, and keeps trying for the ones whose load failed. A DynamoDB or
 * KMS error while the shares are read (at start, or at an epoch change) would otherwise leave that
 * domain unserved until the process restarts: the share is there, only the read failed. A share the
 * store does not hold is not retried (waiting would not make it appear); both show in
 * `serving_keys_missing`, every failed read in `serving_key_load_failures_total`.
 */
import type { NodeDomain } from '../chain/contract-state.js';
import type { ServeJob } from '../chain/jobs.js';
import type { NodeContext, ServingKey } from '../node-context.js';
import type { Counter, Gauge } from '../observability/metrics.js';
import { loadServingKeys } from './serving-keys.js';

export interface ServingKeyLoaderOptions {
  readonly context: Pick<NodeContext, 'stores' | 'logger' | 'metrics'>;
  /**
   * A retry loaded more keys of the job last given to {@link ServingKeyLoader.load}: all of its keys
   * loaded so far. The node puts them into its serving state (the job is still the current one: a
   * later `load` or `stop` ends the retries of the earlier job).
   */
  readonly onReloaded: (job: ServeJob, keys: ReadonlyMap<number, ServingKey>) => void;
  /** Delay before the n-th retry: `baseMs` × 2ⁿ up to `maxMs`, the upper half of it jittered. Default 500 ms to 30 s. */
  readonly retry?: { readonly baseMs: number; readonly maxMs: number };
  /** Jitter source in [0, 1). Default Math.random. */
  readonly random?: () => number;
}

const DEFAULT_RETRY = { baseMs: 500, maxMs: 30_000 };

export class ServingKeyLoader {
  private readonly failures: Counter;
  private readonly missing: Gauge;
  private readonly retry: { readonly baseMs: number; readonly maxMs: number };
  /** Bumped by every `load` and by `stop`: a retry of an earlier job sees it changed and ends. */
  private generation = 0;
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly options: ServingKeyLoaderOptions) {
    this.failures = options.context.metrics.counter('serving_key_load_failures_total', 'Reads of a key share to serve with that failed (storage or KMS error; retried with backoff), by domain');
    this.missing = options.context.metrics.gauge('serving_keys_missing', 'Domains of the contract\'s keyset this node cannot sign for now: load-failed (retrying) or not-stored');
    this.retry = options.retry ?? DEFAULT_RETRY;
  }

  /**
   * The keys of `job` this node holds, read once now; the domains whose read failed are read again in the
   * background until they load (reported through `onReloaded`). Ends the retries of any earlier job.
   */
  async load(job: ServeJob): Promise<Map<number, ServingKey>> {
    this.stopRetries();
    const generation = this.generation;
    const keys = new Map<number, ServingKey>();
    const failed = await this.read(job, job.domains, keys);
    if (generation === this.generation) {
      this.publishMissing(job, keys, failed);
      this.retryLater(job, generation, failed, keys, 0);
    }
    return new Map(keys);
  }

  /** Ends the retries (the node is stopping). */
  stop(): void {
    this.stopRetries();
  }

  private stopRetries(): void {
    this.generation += 1;
    clearTimeout(this.timer);
    this.timer = undefined;
  }

  /** Reads `domains` of `job` into `keys`; returns the domains whose read failed (not those the store does not hold). */
  private async read(job: ServeJob, domains: readonly NodeDomain[], keys: Map<number, ServingKey>): Promise<NodeDomain[]> {
    const failed: NodeDomain[] = [];
    const loaded = await loadServingKeys(this.options.context, { ...job, domains }, {
      onMissing: (missing) => {
        if (missing.cause === undefined) return;
        this.failures.inc({ domain: String(missing.domainId) });
        failed.push(domains.find((domain) => domain.id === missing.domainId)!);
      },
    });
    for (const [domainId, key] of loaded) keys.set(domainId, key);
    return failed;
  }

  private publishMissing(job: ServeJob, keys: ReadonlyMap<number, ServingKey>, failed: readonly NodeDomain[]): void {
    const keyed = job.domains.filter((domain) => job.keyset.some((entry) => entry.domain_id === domain.id));
    this.missing.set(failed.length, { reason: 'load-failed' });
    this.missing.set(keyed.length - keys.size - failed.length, { reason: 'not-stored' });
  }

  private retryLater(job: ServeJob, generation: number, failed: NodeDomain[], keys: Map<number, ServingKey>, retries: number): void {
    if (failed.length === 0) return;
    const ceiling = Math.min(this.retry.maxMs, this.retry.baseMs * 2 ** retries);
    const delayMs = ceiling / 2 + (this.options.random ?? Math.random)() * (ceiling / 2);
    this.timer = setTimeout(() => {
      void (async () => {
        const stillFailed = await this.read(job, failed, keys);
        if (generation !== this.generation) return;
        this.publishMissing(job, keys, stillFailed);
        if (stillFailed.length < failed.length) {
          this.options.context.logger.info('serving keys loaded after a failed read', { epochId: job.epochId, domains: [...keys.keys()], retries: retries + 1 });
          this.options.onReloaded(job, new Map(keys));
        }
        this.retryLater(job, generation, stillFailed, keys, retries + 1);
      })();
    }, delayMs);
    // A node stopping does not wait for a retry.
    this.timer.unref();
  }
}
