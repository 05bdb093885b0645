/** The stockpile's metrics: own levels per kind and domain, and runs by kind, role and outcome. */
import { ProtocolAbort } from '../../../shared/crypto/errors.js';
import { RunRefused } from '../control.js';
import type { Counter, Gauge, MetricsRegistry } from '../observability/metrics.js';
import { ProtocolTimeout } from '../protocol-router.js';
import { StockpileRequestRefused } from './errors.js';

export type RunKind = 'triples' | 'ecdsa-presign' | 'eddsa-presign';
export type RunRole = 'owner' | 'follower';

/** A short, bounded label for why a run failed (never the message: it could grow the series without bound). */
export function failureReason(error: unknown): string {
  if (error instanceof ProtocolTimeout) return 'timeout';
  if (error instanceof ProtocolAbort) return 'abort';
  // This node refused (a follower), or a participant refused this node's run (an owner).
  if (error instanceof StockpileRequestRefused || error instanceof RunRefused) return 'refused';
  return 'error';
}

export class StockpileMetrics {
  readonly level: Gauge;
  readonly usable: Gauge;
  /** Shares deleted because a later epoch can never use them, by kind (triples, presignatures). */
  readonly retired: Counter;
  /** Followed shares deleted because their owner no longer knew them (./share-audit.ts), by kind. */
  readonly orphansDeleted: Counter;
  private readonly runsStarted: Counter;
  private readonly runsSucceeded: Counter;
  private readonly runsFailed: Counter;

  constructor(registry: MetricsRegistry) {
    this.level = registry.gauge('stockpile_owned_assets', 'Assets this node owns, by kind (triples, ecdsa, eddsa) and domain');
    this.usable = registry.gauge('stockpile_usable_presignatures', 'Owned presignatures whose whole set is reachable, by scheme and domain');
    this.retired = registry.counter('stockpile_assets_retired_total', 'Shares (own and followed) deleted after an epoch change that made them unusable, by kind');
    this.orphansDeleted = registry.counter('stockpile_orphan_shares_deleted_total', 'Followed shares deleted because their owner no longer held or used the asset, by kind');
    this.runsStarted = registry.counter('stockpile_runs_started_total', 'Stockpile protocol runs started, by kind and role');
    this.runsSucceeded = registry.counter('stockpile_runs_succeeded_total', 'Stockpile protocol runs whose asset was stored, by kind and role');
    this.runsFailed = registry.counter('stockpile_runs_failed_total', 'Stockpile protocol runs that failed, by kind, role and reason');
  }

  started(kind: RunKind, role: RunRole): void {
    this.runsStarted.inc({ kind, role });
  }

  succeeded(kind: RunKind, role: RunRole): void {
    this.runsSucceeded.inc({ kind, role });
  }

  failed(kind: RunKind, role: RunRole, error: unknown): void {
    this.runsFailed.inc({ kind, role, reason: failureReason(error) });
  }

  runs(kind: RunKind, role: RunRole): { started: number; succeeded: number } {
    return { started: this.runsStarted.get({ kind, role }), succeeded: this.runsSucceeded.get({ kind, role }) };
  }
}
