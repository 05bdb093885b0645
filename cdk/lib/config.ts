// The operator's deployment configuration: one zod schema, read from the CDK context key `chainsig`
// (cdk.json) with optional dotted overrides on the command line (`-c chainsig.near.contractId=v1.signer`).
// Everything is checked before a construct is created, so a mistake is one clear message instead of a
// CloudFormation rollback half-way through a deployment.
import { z } from 'zod';

/** The context key that holds the whole configuration object. */
export const CONFIG_CONTEXT_KEY = 'chainsig';

export class OperatorConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'OperatorConfigError';
  }
}

// NEAR account ids: 2–64 chars, lowercase alphanumerics separated by single `-`, `_` or `.`.
const NEAR_ACCOUNT_ID = /^(([a-z\d]+[-_])*[a-z\d]+\.)*([a-z\d]+[-_])*[a-z\d]+$/;
const nearAccountId = z
  .string()
  .min(2)
  .max(64)
  .regex(NEAR_ACCOUNT_ID, 'must be a NEAR account id (lowercase a-z, 0-9, separated by single "-", "_" or ".")');

const hostname = z
  .string()
  .regex(/^(?=.{1,253}$)([a-z\d]([a-z\d-]{0,61}[a-z\d])?\.)+[a-z]{2,63}$/i, 'must be a DNS host name such as mpc.example.com');

const cidr = z
  .string()
  .regex(/^(\d{1,3}\.){3}\d{1,3}\/\d{1,2}$/, 'must be an IPv4 CIDR such as 203.0.113.7/32');

// Command-line overrides arrive as strings: accept "a,b" for lists and "12" for numbers.
const commaList = (value: unknown): unknown =>
  typeof value === 'string' ? value.split(',').map((item) => item.trim()).filter((item) => item !== '') : value;
const count = (min: number) => z.coerce.number().int().min(min);

/** Fargate's valid CPU units → memory MiB combinations (AWS ECS task size table). */
const FARGATE_MEMORY_BY_CPU: Record<number, { min: number; max: number; step: number }> = {
  256: { min: 512, max: 2048, step: 512 },
  512: { min: 1024, max: 4096, step: 1024 },
  1024: { min: 2048, max: 8192, step: 1024 },
  2048: { min: 4096, max: 16384, step: 1024 },
  4096: { min: 8192, max: 30720, step: 1024 },
  8192: { min: 16384, max: 61440, step: 4096 },
  16384: { min: 32768, max: 122880, step: 8192 },
};

/** A switch from cdk.json (a JSON boolean) or from `-c chainsig.…=true|false` on the command line (a string). */
const contextBoolean = z.union([z.boolean(), z.enum(['true', 'false']).transform((value) => value === 'true')]);

/**
 * Sections refuse keys they do not know, so an option that no longer exists fails the synth instead of
 * being ignored: `lake.bucketName` (a fixed name blocks redeploying next to the bucket a deleted stack
 * kept) and `node.desiredCount` (now the NodeDesiredCount stack parameter, docs/decisions/0011-first-deploy.md).
 */
const unknownKeys = { error: (issue: { code?: string; keys?: string[] }) => (issue.code === 'unrecognized_keys' ? `unknown key ${issue.keys?.join(', ')} (docs/deploy.md lists the keys)` : undefined) };

/** Where the lake bucket's blocks come from (docs/decisions/0012-public-lake-follower.md, 0014). */
export const LAKE_SOURCES = ['public-lake-follower', 'own-writer'] as const;
export type LakeSource = (typeof LAKE_SOURCES)[number];

const lakeSchema = z.strictObject({
  /**
   * "public-lake-follower": this stack runs services/lake-follower, which copies the signer shard of active
   * blocks from NEAR's public Lake; "own-writer": the operator's own NEAR node and Lake writer fill the bucket.
   */
  source: z.enum(LAKE_SOURCES).default('public-lake-follower'),
  /** The follower's first block when it has no checkpoint yet; default the newest final block. Follower only. */
  followerStartHeight: count(0).optional(),
  /** IAM principal (role ARN) the operator's NEAR Lake writer uses to put objects into the bucket. Own writer only. */
  writerPrincipalArn: z
    .string()
    .regex(/^arn:aws[a-z-]*:iam::\d{12}:(role|user)\/.+$/, 'must be an IAM role or user ARN')
    .optional(),
  /**
   * Which lake objects raise notifications. "all": every `.json` object (`block.json` too, which the
   * indexer uses only for its lag metric); a list of shard ids: exactly `/shard_<id>.json` (only the
   * contract's shard needs reading, which cuts queue and Lambda work by the shard count).
   */
  shards: z.preprocess(
    (value) => (value === 'all' ? value : commaList(value)),
    z.union([
      z.literal('all'),
      z
        .array(count(0))
        .min(1)
        .refine((ids) => new Set(ids).size === ids.length, 'shard ids must be unique'),
    ]),
  ),
  /** Days before lake objects expire: the indexer reads each file within seconds; older ones are only cost. */
  retentionDays: count(1).default(7),
  /** Reserved concurrency of the indexer Lambda (also its SQS poller's maximum concurrency). */
  indexerConcurrency: count(2).default(2),
}, unknownKeys);

const nodeSchema = z
  .strictObject({
    cpu: z.coerce
      .number()
      .int()
      .refine((cpu) => cpu in FARGATE_MEMORY_BY_CPU, `must be one of ${Object.keys(FARGATE_MEMORY_BY_CPU).join(', ')} (Fargate CPU units)`),
    memoryMiB: count(512),
    /**
     * Public host name of the mesh endpoint, part of the participant URL. Public mode: the A record the stack
     * keeps pointing at the running task; private mode: the operator points it at the NLB (output `MeshLoadBalancerDns`).
     */
    domainName: hostname,
    /** Route 53 hosted zone that holds `domainName`. Public mode only (required there). */
    hostedZoneId: z.string().regex(/^Z[A-Z\d]{1,31}$/, 'must be a Route 53 hosted zone id such as Z0123456789ABCDEFGHIJ').optional(),
    /** ACM certificate for `domainName`, in the stack's region. Private mode only (required there). */
    certificateArn: z
      .string()
      .regex(/^arn:aws[a-z-]*:acm:[a-z\d-]+:\d{12}:certificate\/[\w-]+$/, 'must be an ACM certificate ARN')
      .optional(),
    /** TLS port of the NLB, as registered in the contract's participant URL. Private mode only. */
    meshPort: count(1).max(65535).default(443),
    /**
     * Port of the node's mesh listener (`MESH_LISTEN`, plain HTTP). Public mode: the port peers connect to, part
     * of the participant URL; private mode: the NLB's target port inside the VPC.
     */
    containerPort: count(1024).max(65535).default(8443),
    /** The node's own HTTP port (health, /metrics), probed by the NLB and the container health check. */
    healthPort: count(1024).max(65535).default(8080),
    /**
     * HTTP path on `healthPort` that the container check and the NLB probe: the node's liveness (`/livez`,
     * 200 while its loops turn), not its readiness (`/readyz`), so a node waiting to be voted in, or cut off
     * from the RPC or its peers, is not restarted (docs/decisions/0010-liveness-and-readiness.md).
     */
    healthCheckPath: z.string().regex(/^\/[\w./-]*$/, 'must be an absolute URL path').default('/livez'),
    /**
     * Who may reach the mesh port. Every frame is authenticated to a registered participant and unauthenticated
     * work is bounded (decision 0008), so the internet is the default: peers in public mode change their
     * address with every task start, so a list of addresses would cut them off (decision 0014).
     */
    allowedPeerCidrs: z.preprocess(commaList, z.array(cidr).min(1)).default(['0.0.0.0/0']),
    logLevel: z.enum(['debug', 'info', 'warn', 'error']).default('info'),
  }, unknownKeys)
  .superRefine((node, ctx) => {
    if (node.healthPort === node.containerPort) {
      ctx.addIssue({ code: 'custom', path: ['healthPort'], message: 'must differ from containerPort (the node serves them separately)' });
    }
    const memory = FARGATE_MEMORY_BY_CPU[node.cpu];
    if (memory === undefined) return; // already reported on `cpu`
    const fits = node.memoryMiB >= memory.min && node.memoryMiB <= memory.max && (node.memoryMiB - memory.min) % memory.step === 0;
    if (!fits) {
      ctx.addIssue({
        code: 'custom',
        path: ['memoryMiB'],
        message: `Fargate with ${node.cpu} CPU units needs ${memory.min}–${memory.max} MiB in steps of ${memory.step}, got ${node.memoryMiB}`,
      });
    }
  });

export const NETWORK_MODES = ['public', 'private'] as const;
export type NetworkMode = (typeof NETWORK_MODES)[number];

/**
 * How peers reach the node, per network mode: the participant URL to register and what the stack builds
 * for it. Keys of the other mode may stay in the configuration, so one `-c chainsig.network.mode=…` switches.
 */
export type MeshEndpoint =
  | {
      readonly mode: 'public';
      /** `http://<domainName>:<containerPort>`: the node's own listener, every frame authenticated and encrypted by the mesh. */
      readonly url: string;
      readonly domainName: string;
      readonly port: number;
      readonly hostedZoneId: string;
    }
  | {
      readonly mode: 'private';
      /** `https://<domainName>[:<meshPort>]`: TLS ends at the NLB. */
      readonly url: string;
      readonly domainName: string;
      readonly port: number;
      readonly certificateArn: string;
    };

/** Records one configuration problem at a `chainsig` path. */
type ReportProblem = (path: string[], message: string) => void;

/** The mode's endpoint, or undefined after reporting what the mode needs and the configuration lacks. */
function meshEndpointOf(config: OperatorConfigShape, report: ReportProblem): MeshEndpoint | undefined {
  const { node, network } = config;
  const requiredHere = `required in network mode "${network.mode}"`;
  if (network.mode === 'public') {
    if (node.hostedZoneId === undefined) {
      report(['node', 'hostedZoneId'], `${requiredHere}: the stack keeps ${node.domainName} in this zone pointing at the running task`);
      return undefined;
    }
    return { mode: 'public', url: `http://${node.domainName}:${node.containerPort}`, domainName: node.domainName, port: node.containerPort, hostedZoneId: node.hostedZoneId };
  }
  if (node.certificateArn === undefined) {
    report(['node', 'certificateArn'], `${requiredHere}: the NLB terminates TLS for ${node.domainName} with it`);
    return undefined;
  }
  const certificateRegion = node.certificateArn.split(':')[3];
  if (certificateRegion !== config.region) {
    report(['node', 'certificateArn'], `the NLB needs a certificate in ${config.region}, this one is in ${certificateRegion}`);
    return undefined;
  }
  const url = `https://${node.domainName}${node.meshPort === 443 ? '' : `:${node.meshPort}`}`;
  return { mode: 'private', url, domainName: node.domainName, port: node.meshPort, certificateArn: node.certificateArn };
}

const stockpileSchema = z
  .object({
    /** Presignatures kept ready even when no request was seen: a first request must not wait for triple generation. */
    minPresignatures: count(1),
    /** Upper bound of the stockpile however high the observed demand. */
    maxPresignatures: count(1),
    /** Upper bound of concurrent triple/presignature generation protocols. */
    maxGenerationConcurrency: count(1),
    /** How far back the node measures the request rate. */
    demandWindowMinutes: count(1).default(60),
    /** How many minutes of the observed rate the stockpile should cover. */
    coverMinutes: count(1).default(30),
  })
  .refine((stockpile) => stockpile.minPresignatures <= stockpile.maxPresignatures, {
    path: ['maxPresignatures'],
    message: 'must be at least minPresignatures',
  });

const operatorConfigShape = z
  .object({
    /** AWS account the operator deploys into (12 digits). */
    account: z.string().regex(/^\d{12}$/, 'must be a 12-digit AWS account id'),
    region: z.string().regex(/^[a-z]{2}(-[a-z]+)+-\d$/, 'must be an AWS region such as us-east-1'),
    stackName: z.string().regex(/^[A-Za-z][A-Za-z\d-]{0,127}$/, 'must be a CloudFormation stack name').default('ChainsigOperator'),
    near: z.object({
      network: z.enum(['mainnet', 'testnet']),
      /** The MPC signer contract, e.g. v1.signer (mainnet) or v1.signer-prod.testnet. */
      contractId: nearAccountId,
      /** The operator's NEAR account: the participant that calls `respond` and the `vote_*` methods. */
      operatorAccountId: nearAccountId,
      rpcUrl: z.url({ protocol: /^https$/, error: 'must be an https:// URL' }),
    }),
    lake: lakeSchema,
    node: nodeSchema,
    stockpile: stockpileSchema,
    network: z
      .strictObject(
        {
          /**
           * "public": tasks in public subnets with their own public IPv4, the mesh port open on the task, a
           * Route 53 record kept on the running node; no NAT gateway, no load balancer. "private": tasks in
           * private subnets behind a NAT gateway, the mesh endpoint a TLS NLB (decision 0014).
           */
          mode: z.enum(NETWORK_MODES).default('public'),
          /** 1 is the cost-aware default (one NAT for both AZs); 2 keeps egress up when an AZ fails. Private mode only. */
          natGateways: count(1).max(2).default(1),
        },
        unknownKeys,
      )
      .prefault({}),
    observability: z
      .strictObject(
        {
          /**
           * The stack's CloudWatch dashboard ($3 a month unless among the account's three free ones, which hold
           * 50 metrics each; this one has more). Off by default: the alarms page without it, and every metric
           * it shows is in the console's metrics view anyway (docs/cost.md).
           */
          dashboard: contextBoolean.default(false),
        },
        unknownKeys,
      )
      .prefault({}),
    alarmEmail: z.email().optional(),
  });
type OperatorConfigShape = z.infer<typeof operatorConfigShape>;

/** The configuration with what its keys imply together: the mesh endpoint of the network mode. */
export const operatorConfigSchema = operatorConfigShape.transform((config, ctx) => {
  const report: ReportProblem = (path, message) => ctx.addIssue({ code: 'custom', path, message, input: config });
  const meshEndpoint = meshEndpointOf(config, report);
  return meshEndpoint === undefined ? z.NEVER : { ...config, meshEndpoint };
});

export type OperatorConfig = z.infer<typeof operatorConfigSchema>;

/** Validates a raw configuration object; throws one OperatorConfigError listing every problem. */
export function parseOperatorConfig(raw: unknown): OperatorConfig {
  const result = operatorConfigSchema.safeParse(raw);
  if (result.success) return result.data;
  const problems = result.error.issues.map((issue) => {
    const path = issue.path.length > 0 ? `${CONFIG_CONTEXT_KEY}.${issue.path.join('.')}` : CONFIG_CONTEXT_KEY;
    return `  - ${path}: ${issue.message}`;
  });
  throw new OperatorConfigError(
    `Invalid operator configuration (context "${CONFIG_CONTEXT_KEY}" in cdk.json, see docs/deploy.md):\n${problems.join('\n')}`,
  );
}

/**
 * Builds the raw configuration from a CDK context map: the `chainsig` object, then every
 * `chainsig.a.b=value` key written over it (the CLI passes those as strings; the schema coerces them).
 */
export function rawConfigFromContext(context: Record<string, unknown>): Record<string, unknown> {
  const base = context[CONFIG_CONTEXT_KEY];
  if (base !== undefined && (typeof base !== 'object' || base === null || Array.isArray(base))) {
    throw new OperatorConfigError(`Context "${CONFIG_CONTEXT_KEY}" must be an object, got ${JSON.stringify(base)}`);
  }
  const raw: Record<string, unknown> = structuredClone((base ?? {}) as Record<string, unknown>);
  const prefix = `${CONFIG_CONTEXT_KEY}.`;
  for (const [key, value] of Object.entries(context)) {
    if (!key.startsWith(prefix)) continue;
    const path = key.slice(prefix.length).split('.');
    let target = raw;
    for (const segment of path.slice(0, -1)) {
      const next = target[segment];
      if (typeof next !== 'object' || next === null) target[segment] = {};
      target = target[segment] as Record<string, unknown>;
    }
    target[path[path.length - 1]!] = value;
  }
  return raw;
}
