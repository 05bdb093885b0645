/**
 * The follower's configuration from environment variables (the Fargate task's, or a devnet child
 * process's). Everything wrong is reported at once in one {@link LakeFollowerConfigError}.
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
  };
}
