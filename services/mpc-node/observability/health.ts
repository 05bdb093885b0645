/**
 * The node's two health questions (docs/decisions/0010-liveness-and-readiness.md):
 * - **liveness** — is the process up and do its loops turn? Only a "no" here is worth a restart, so it
 *   never depends on anything outside the process: an RPC, DynamoDB or peer outage leaves a node live
 *   (restarting it would not help, and restarting every node of a network at once would turn a partial
 *   outage into a full one). Orchestrators (the ECS container check, the NLB) ask this.
 * - **readiness** — can this node sign now? It is a participant, its view of the contract is fresh, it
 *   holds the key shares of the epoch it serves, and enough peers answer. A node waiting to be voted in,
 *   or in an RPC outage, is live but not ready. Dashboards and alarms ask this.
 */

/** One named check; `detail` says what is wrong when `ok` is false. */
export interface HealthCheck {
  readonly name: string;
  check(): { readonly ok: boolean; readonly detail?: string };
}

export interface HealthReport {
  readonly healthy: boolean;
  readonly checks: readonly { readonly name: string; readonly ok: boolean; readonly detail?: string }[];
}

/** Runs every check; one that throws counts as failed, with what it threw. */
export function evaluateHealth(checks: readonly HealthCheck[]): HealthReport {
  const results = checks.map((health) => {
    try {
      return { name: health.name, ...health.check() };
    } catch (error) {
      return { name: health.name, ok: false, detail: `check threw: ${error instanceof Error ? error.message : String(error)}` };
    }
  });
  return { healthy: results.every((result) => result.ok), checks: results };
}

/**
 * Loops that must keep turning. Each loop beats when one pass ends, whatever its outcome (a failed RPC
 * read is a turn); liveness fails only for a loop that has not turned within its limit — one stuck on a
 * call that never returns, or one that ended by mistake.
 */
export class LoopWatch {
  private readonly loops = new Map<string, { readonly maxSilenceMs: number; lastBeatAt: number }>();

  constructor(private readonly now: () => number = Date.now) {}

  /** Starts watching `loop` (counting from now); watching it again resets its limit and its last beat. */
  watch(loop: string, maxSilenceMs: number): void {
    this.loops.set(loop, { maxSilenceMs, lastBeatAt: this.now() });
  }

  /** Stops watching `loop` (it ended on purpose). */
  unwatch(loop: string): void {
    this.loops.delete(loop);
  }

  beat(loop: string): void {
    const watched = this.loops.get(loop);
    if (watched !== undefined) watched.lastBeatAt = this.now();
  }

  /** The liveness check: every watched loop turned within its limit. */
  asCheck(): HealthCheck {
    return {
      name: 'loops',
      check: () => {
        const now = this.now();
        const stuck = [...this.loops].filter(([, loop]) => now - loop.lastBeatAt > loop.maxSilenceMs);
        if (stuck.length === 0) return { ok: true };
        return { ok: false, detail: stuck.map(([name, loop]) => `${name} has not turned for ${Math.round((now - loop.lastBeatAt) / 1000)} s (limit ${Math.round(loop.maxSilenceMs / 1000)} s)`).join('; ') };
      },
    };
  }
}
