/**
 * The node's configuration, read from environment variables (Fargate task definition, devnet
 * launcher) and validated before anything starts. Every bad value is reported at once, by variable
 * name, with what was expected; secrets are never echoed back.
 */
import { z } from 'zod';

/** Names and rules of every variable the node reads. */
const NEAR_ACCOUNT_ID = /^(?=.{2,64}$)(([a-z\d]+[-_])*[a-z\d]+\.)*([a-z\d]+[-_])*[a-z\d]+$/;
const HEX_32 = /^(0x)?[0-9a-fA-F]{64}$/;

const positiveInt = (fallback: number) => z.coerce.number().int().positive().default(fallback);
const httpUrl = z.url({ protocol: /^https?$/ });
const tableName = z.string().regex(/^[a-zA-Z0-9_.-]{3,255}$/, 'a DynamoDB table name (3–255 of a-z A-Z 0-9 _ . -)');

const SECRET_VARIABLES = new Set(['NODE_ACCOUNT_SECRET_KEY', 'MESH_SIGN_SECRET_KEY']);

const environmentSchema = z
  .object({
    NODE_ACCOUNT_ID: z.string().regex(NEAR_ACCOUNT_ID, 'a NEAR account id'),
    NODE_ACCOUNT_SECRET_KEY: z.string().regex(/^(ed25519|secp256k1):[1-9A-HJ-NP-Za-km-z]+$/, 'a NEAR secret key ("ed25519:<base58>")'),
    MPC_CONTRACT_ID: z.string().regex(NEAR_ACCOUNT_ID, 'a NEAR account id'),
    NEAR_RPC_URL: httpUrl,
    SIGN_REQUESTS_QUEUE_URL: httpUrl,
    KEY_SHARES_TABLE: tableName,
    TRIPLES_TABLE: tableName,
    PRESIGNATURES_TABLE: tableName,
    MESH_LISTEN: z.string().regex(/^[^\s:]+:\d{1,5}$/, 'host:port to listen on for peer messages'),
    MESH_SIGN_SECRET_KEY: z.string().regex(HEX_32, '32 bytes of hex (the mesh identity: the Ed25519 secret whose public key is the registered tls_public_key)'),
    SEALING: z.enum(['kms', 'local-file']).default('kms'),
    KMS_KEY_ID: z.string().min(1).optional(),
    LOCAL_MASTER_KEY_FILE: z.string().min(1).optional(),
    HTTP_PORT: z.coerce.number().int().min(0).max(65535).default(8080),
    STATE_POLL_MS: positiveInt(1000),
    /** How often the node checks that the contract still holds its registration (`get_attestation`), registering again if not. */
    REGISTRATION_CHECK_MS: positiveInt(300_000),
    TRIPLE_TARGET: positiveInt(128),
    PRESIGNATURE_TARGET: positiveInt(64),
    TRIPLE_BATCH_SIZE: positiveInt(32),
    MAX_CONCURRENT_GENERATIONS: positiveInt(2),
    PROTOCOL_TIMEOUT_MS: positiveInt(60_000),
    /** How long each node in a request's leader order waits for the one before it to respond before taking over. */
    SIGN_TAKEOVER_MS: positiveInt(4_000),
    /** Signing runs at most this many requests at once; further requests wait in the node (they stay in flight in SQS). */
    MAX_CONCURRENT_SIGNATURES: positiveInt(64),
    /** CloudWatch namespace of the node's embedded-metric-format lines (cdk/lib/observability.ts). */
    METRICS_NAMESPACE: z.string().regex(/^[^:][^:]{0,254}$/, 'a CloudWatch namespace').default('ChainSignatures'),
    /** SSM parameter holding the demand-following stockpile policy (cdk/lib/stockpile-scaling.ts); unset: the static targets. */
    STOCKPILE_POLICY_PARAMETER: z.string().min(1).optional(),
    LOG_LEVEL: z.enum(['debug', 'info', 'warn', 'error']).default('info'),
  })
  .superRefine((env, context) => {
    if (env.SEALING === 'kms' && env.KMS_KEY_ID === undefined) {
      context.addIssue({ code: 'custom', path: ['KMS_KEY_ID'], message: 'required when SEALING=kms' });
    }
    if (env.SEALING === 'local-file' && env.LOCAL_MASTER_KEY_FILE === undefined) {
      context.addIssue({ code: 'custom', path: ['LOCAL_MASTER_KEY_FILE'], message: 'required when SEALING=local-file' });
    }
  });

export type NodeConfig = z.infer<typeof environmentSchema>;

/** The configuration is unusable; `problems` has one line per bad variable. */
export class ConfigError extends Error {
  constructor(readonly problems: readonly string[]) {
    super(`invalid node configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

export function loadNodeConfig(env: Readonly<Record<string, string | undefined>>): NodeConfig {
  const parsed = environmentSchema.safeParse(env);
  if (parsed.success) return parsed.data;
  const problems = parsed.error.issues.map((issue) => {
    const variable = issue.path.join('.') || '(environment)';
    const received = env[variable];
    const shown = received === undefined ? 'missing' : SECRET_VARIABLES.has(variable) ? 'got a value (hidden)' : `got "${received}"`;
    return `${variable}: ${issue.message} (${shown})`;
  });
  throw new ConfigError(problems);
}
