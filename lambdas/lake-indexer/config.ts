/**
 * The lake indexer's configuration, from environment variables (the Lambda's, or the devnet poller's).
 * Read once at start; anything wrong is one {@link LakeIndexerConfigError} listing every bad variable,
 * so a misconfigured deployment fails at init with a message that says what to fix.
 */
import { z } from 'zod';

/** NEAR account id rules (nearcore `AccountId`): 2–64 chars, lowercase parts joined by `.`, `-`/`_` inside parts. */
const NEAR_ACCOUNT_ID = /^(?=.{2,64}$)(?:[a-z\d]+[-_])*[a-z\d]+(?:\.(?:[a-z\d]+[-_])*[a-z\d]+)*$/;

/** Real shards are well below this; it bounds the memory one record can take (Lambda memory is per invocation). */
export const DEFAULT_MAX_OBJECT_BYTES = 16 * 1024 * 1024;

const environmentSchema = z.object({
  MPC_CONTRACT_ID: z.string({ error: 'is required' }).regex(NEAR_ACCOUNT_ID, 'must be a NEAR account id (e.g. v1.signer)'),
  REQUESTS_TABLE_NAME: z.string({ error: 'is required' }).regex(/^[A-Za-z0-9_.-]{3,255}$/, 'must be a DynamoDB table name'),
  SIGN_REQUESTS_QUEUE_URL: z
    .url({ error: 'must be an SQS queue URL' })
    .refine((url) => url.endsWith('.fifo'), 'must be a FIFO queue (name ending in .fifo): deduplication by request id needs it'),
  LAKE_MAX_OBJECT_BYTES: z.coerce
    .number({ error: 'must be a number of bytes' })
    .int('must be a whole number of bytes')
    .min(1024, 'must be at least 1024 bytes')
    .max(1024 * 1024 * 1024, 'must be at most 1 GiB')
    .default(DEFAULT_MAX_OBJECT_BYTES),
});

export interface LakeIndexerConfig {
  /** The MPC signer contract whose sign calls are indexed. */
  readonly mpcContractId: string;
  readonly requestsTableName: string;
  readonly signRequestsQueueUrl: string;
  /** Lake files larger than this are rejected unread. */
  readonly maxObjectBytes: number;
}

export class LakeIndexerConfigError extends Error {
  constructor(readonly problems: readonly string[]) {
    super(`invalid lake indexer configuration: ${problems.join('; ')}`);
    this.name = 'LakeIndexerConfigError';
  }
}

export function loadLakeIndexerConfig(environment: Readonly<Record<string, string | undefined>>): LakeIndexerConfig {
  const parsed = environmentSchema.safeParse(environment);
  if (!parsed.success) {
    throw new LakeIndexerConfigError(parsed.error.issues.map((issue) => `${issue.path.join('.')} ${issue.message}`));
  }
  const env = parsed.data;
  return {
    mpcContractId: env.MPC_CONTRACT_ID,
    requestsTableName: env.REQUESTS_TABLE_NAME,
    signRequestsQueueUrl: env.SIGN_REQUESTS_QUEUE_URL,
    maxObjectBytes: env.LAKE_MAX_OBJECT_BYTES,
  };
}
