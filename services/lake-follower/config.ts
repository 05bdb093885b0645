/**
 * The follower's configuration from environment variables (the Lambda function's, or the devnet's
 * schedule process's). Everything wrong is reported at once in one {@link LakeFollowerConfigError}.
 */
import { z } from 'zod';

const NEAR_ACCOUNT_ID = /^(?=.{2,64}$)(?:[a-z\d]+[-_])*[a-z\d]+(?:\.(?:[a-z\d]+[-_])*[a-z\d]+)*$/;
const BUCKET_NAME = /^[a-z\d][a-z\d.-]{1,61}[a-z\d]$/;
const milliseconds = (fallback: number, min: number) => z.coerce.number({ error: 'must be a number of milliseconds' }).int().min(min).default(fallback);

const environmentSchema = z.object({
  PUBLIC_LAKE_BUCKET: z.string({ error: 'is required' }).regex(BUCKET_NAME, 'must be an S3 bucket name (near-lake-data-mainnet)'),
  /** NEAR's Lake buckets live in eu-central-1; the SDK's default region otherwise. */
  PUBLIC_LAKE_REGION: z.string().regex(/^[a-z]{2}(-[a-z]+)+-\d$/, 'must be an AWS region').optional(),
  LAKE_BUCKET: z.string({ error: 'is required' }).regex(BUCKET_NAME, 'must be an S3 bucket name'),
  MPC_CONTRACT_ID: z.string({ error: 'is required' }).regex(NEAR_ACCOUNT_ID, 'must be a NEAR account id (e.g. v1.signer)'),
  NEAR_RPC_URL: z.url({ error: 'must be an http(s) URL' }),
  /** Used only when there is no checkpoint; default: the newest final block. */
  START_HEIGHT: z.coerce.number({ error: 'must be a block height' }).int().nonnegative().optional(),
  CHECKPOINT_KEY: z
    .string()
    .regex(/^[\w./-]+$/)
    .refine((key) => !key.endsWith('.json'), 'must not end in .json (the lake notification filter would announce it)')
    .default('lake-follower/checkpoint'),
  POLL_INTERVAL_MS: milliseconds(500, 10),
  LIST_AFTER_MS: milliseconds(1_500, 10),
  MAX_LIST_INTERVAL_MS: milliseconds(30_000, 10),
  CHECKPOINT_INTERVAL_MS: milliseconds(30_000, 0),
  METRICS_INTERVAL_MS: milliseconds(60_000, 100),
  RETRY_BASE_MS: milliseconds(200, 1),
  RETRY_MAX_MS: milliseconds(30_000, 1),
  MAX_OBJECT_BYTES: z.coerce.number().int().min(1024).default(64 * 1024 * 1024),
  /** The DynamoDB table of the lease that keeps runs one at a time (./lease.ts). */
  LEASE_TABLE: z.string({ error: 'is required' }).regex(/^[\w.-]{3,255}$/, 'must be a DynamoDB table name'),
  LEASE_MS: milliseconds(30_000, 100),
  LEASE_RENEW_MS: milliseconds(10_000, 10),
  HANDOVER_WINDOW_MS: milliseconds(75_000, 0),
  /** Time kept back at the end of an invocation for the last checkpoint, the release and the metrics flush. */
  STOP_MARGIN_MS: milliseconds(30_000, 0),
  MIN_RUN_MS: milliseconds(60_000, 0),
  /** The devnet's schedule process only (./main.ts): how often it invokes a run, and how long a run may last. */
  SCHEDULE_INTERVAL_MS: milliseconds(60_000, 10),
  RUN_MS: milliseconds(870_000, 100),
});

export interface LakeFollowerConfig {
  readonly publicLakeBucket: string;
  readonly publicLakeRegion: string | undefined;
  readonly lakeBucket: string;
  readonly contractId: string;
  readonly rpcUrl: string;
  readonly startHeight: number | undefined;
  readonly checkpointKey: string;
  readonly pollIntervalMs: number;
  readonly listAfterMs: number;
  readonly maxListIntervalMs: number;
  readonly checkpointIntervalMs: number;
  readonly metricsIntervalMs: number;
  readonly retryBaseMs: number;
  readonly retryMaxMs: number;
  readonly maxObjectBytes: number;
  readonly lease: {
    readonly table: string;
    readonly leaseMs: number;
    readonly renewEveryMs: number;
    readonly handOverWindowMs: number;
    readonly stopMarginMs: number;
    readonly minRunMs: number;
  };
  readonly localSchedule: { readonly intervalMs: number; readonly runMs: number };
}

export class LakeFollowerConfigError extends Error {
  constructor(readonly problems: readonly string[]) {
    super(`invalid lake follower configuration: ${problems.join('; ')}`);
    this.name = 'LakeFollowerConfigError';
  }
}

export function loadLakeFollowerConfig(env: Record<string, string | undefined>): LakeFollowerConfig {
  const parsed = environmentSchema.safeParse(env);
  if (!parsed.success) throw new LakeFollowerConfigError(parsed.error.issues.map((issue) => `${issue.path.join('.')} ${issue.message}`));
  const value = parsed.data;
  if (value.PUBLIC_LAKE_BUCKET === value.LAKE_BUCKET) throw new LakeFollowerConfigError(['LAKE_BUCKET must differ from PUBLIC_LAKE_BUCKET']);
  if (value.LEASE_RENEW_MS >= value.LEASE_MS) throw new LakeFollowerConfigError([`LEASE_RENEW_MS (${value.LEASE_RENEW_MS}) must be below LEASE_MS (${value.LEASE_MS}), or the lease lapses between renewals`]);
  return {
    publicLakeBucket: value.PUBLIC_LAKE_BUCKET,
    publicLakeRegion: value.PUBLIC_LAKE_REGION,
    lakeBucket: value.LAKE_BUCKET,
    contractId: value.MPC_CONTRACT_ID,
    rpcUrl: value.NEAR_RPC_URL,
    startHeight: value.START_HEIGHT,
    checkpointKey: value.CHECKPOINT_KEY,
    pollIntervalMs: value.POLL_INTERVAL_MS,
    listAfterMs: value.LIST_AFTER_MS,
    maxListIntervalMs: value.MAX_LIST_INTERVAL_MS,
    checkpointIntervalMs: value.CHECKPOINT_INTERVAL_MS,
    metricsIntervalMs: value.METRICS_INTERVAL_MS,
    retryBaseMs: value.RETRY_BASE_MS,
    retryMaxMs: value.RETRY_MAX_MS,
    maxObjectBytes: value.MAX_OBJECT_BYTES,
    lease: {
      table: value.LEASE_TABLE,
      leaseMs: value.LEASE_MS,
      renewEveryMs: value.LEASE_RENEW_MS,
      handOverWindowMs: value.HANDOVER_WINDOW_MS,
      stopMarginMs: value.STOP_MARGIN_MS,
      minRunMs: value.MIN_RUN_MS,
    },
    localSchedule: { intervalMs: value.SCHEDULE_INTERVAL_MS, runMs: value.RUN_MS },
  };
}
