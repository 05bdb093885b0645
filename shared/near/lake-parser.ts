/**
 * A typed parser for the NEAR Lake files the lake indexer reads (`shard_<i>.json`, `block.json`; raw
 * shapes in ./lake-types.ts), and for the block header the public-lake follower attaches to a shard. It validates every field the indexer reads and returns a camelCase view
 * of just those fields; fields it does not read are neither validated nor copied, so unknown or
 * changed fields elsewhere in nearcore's format cannot stop the indexer. A missing or mistyped field
 * the indexer needs is a {@link LakeParseError} naming the file and the JSON path of the bad field.
 *
 * Hand-written rather than a schema library: shards are the hot path (≥ 1,000 files/s per process),
 * and this walks each object once without building intermediate copies.
 */
import { base58 } from '@scure/base';
import type { CryptoHash } from './lake-types.js';

/** A Lake file could not be read; `source` names the file (e.g. the S3 key) and `path` the JSON field. */
export class LakeParseError extends Error {
  constructor(
    readonly source: string,
    readonly path: string,
    readonly reason: string,
    options?: { cause?: unknown },
  ) {
    super(`cannot parse Lake file ${source} at ${path}: ${reason}`, options);
    this.name = 'LakeParseError';
  }
}

export interface LakeParseOptions {
  /** Names the file in errors (an S3 key, a fixture name). */
  readonly source: string;
  /** Larger input is rejected before decoding: a bound on memory and time per file. */
  readonly maxBytes: number;
}

export type ParsedAction =
  /** Gas and deposit are not read: the contract already checked them when it accepted the call. */
  | { readonly kind: 'FunctionCall'; readonly methodName: string; /** base64 */ readonly args: string }
  /** Any other action (Transfer, AddKey, Delegate, …): the indexer only needs to know it is there. */
  | { readonly kind: 'Other'; readonly variant: string };

export type ParsedReceiptBody =
  | { readonly kind: 'Action'; readonly signerId: string; readonly actions: readonly ParsedAction[]; readonly isPromiseYield: boolean }
  | { readonly kind: 'Data'; readonly dataId: CryptoHash; /** base64, or null for a failed promise (e.g. a timed-out yield) */ readonly data: string | null }
  /** A receipt kind this parser does not model (nearcore adds them, e.g. global contract distribution). */
  | { readonly kind: 'Other'; readonly variant: string };

export interface ParsedReceipt {
  readonly receiptId: CryptoHash;
  readonly predecessorId: string;
  readonly receiverId: string;
  readonly body: ParsedReceiptBody;
}

export type ParsedExecutionStatus =
  | { readonly kind: 'SuccessValue'; /** base64 */ readonly value: string }
  | { readonly kind: 'SuccessReceiptId'; readonly receiptId: CryptoHash }
  | { readonly kind: 'Failure'; readonly failure: unknown }
  | { readonly kind: 'Unknown' };

export interface ParsedReceiptOutcome {
  /** The id of the executed receipt (equals `receipt.receiptId`; checked). */
  readonly id: CryptoHash;
  /** Hash of the block whose chunk executed the receipt. */
  readonly blockHash: CryptoHash;
  readonly executorId: string;
  readonly status: ParsedExecutionStatus;
  readonly receipt: ParsedReceipt;
}

export interface ParsedShard {
  readonly shardId: number;
  readonly receiptOutcomes: readonly ParsedReceiptOutcome[];
}

export interface ParsedBlock {
  readonly height: number;
  readonly hash: CryptoHash;
  /** Block time in nanoseconds since the Unix epoch (nearcore's exact `timestamp_nanosec`). */
  readonly timestampNanosec: bigint;
  /** The block's 32 bytes of randomness (`header.random_value`, base58 in the file). */
  readonly randomValue: Uint8Array;
}

type JsonObject = { readonly [key: string]: unknown };

/** Walks untrusted JSON with the file name at hand, so every failure names file and path. */
class JsonReader {
  constructor(readonly source: string) {}

  fail(path: string, reason: string): never {
    throw new LakeParseError(this.source, path, reason);
  }

  object(value: unknown, path: string): JsonObject {
    if (typeof value !== 'object' || value === null || Array.isArray(value)) this.fail(path, `expected an object, got ${describe(value)}`);
    return value as JsonObject;
  }

  array(value: unknown, path: string): readonly unknown[] {
    if (!Array.isArray(value)) this.fail(path, `expected an array, got ${describe(value)}`);
    return value;
  }

  string(value: unknown, path: string): string {
    if (typeof value !== 'string') this.fail(path, `expected a string, got ${describe(value)}`);
    return value;
  }

  /** Non-negative safe integer (heights, shard ids). */
  count(value: unknown, path: string): number {
    if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) this.fail(path, `expected a non-negative integer, got ${describe(value)}`);
    return value;
  }

  /** The single key of an externally tagged enum value such as `{"FunctionCall": {...}}`. */
  variant(value: JsonObject, path: string): string {
    const keys = Object.keys(value);
    if (keys.length !== 1) this.fail(path, `expected an enum object with exactly one key, got keys [${keys.join(', ')}]`);
    return keys[0]!;
  }
}

function describe(value: unknown): string {
  if (value === undefined) return 'nothing (the field is missing)';
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'string') return `the string "${value.length > 40 ? `${value.slice(0, 40)}…` : value}"`;
  if (typeof value === 'object') return 'an object';
  return `${typeof value} ${String(value)}`;
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** Size check, UTF-8 decoding and JSON.parse, each failure a LakeParseError at `$`. */
function decodeJson(input: Uint8Array | string, options: LakeParseOptions): unknown {
  const size = typeof input === 'string' ? Buffer.byteLength(input, 'utf8') : input.byteLength;
  if (size > options.maxBytes) throw new LakeParseError(options.source, '$', `file is ${size} bytes, over the ${options.maxBytes}-byte limit`);
  let text: string;
  try {
    text = typeof input === 'string' ? input : utf8.decode(input);
  } catch (error) {
    throw new LakeParseError(options.source, '$', 'file is not valid UTF-8', { cause: error });
  }
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new LakeParseError(options.source, '$', `invalid JSON (${(error as Error).message})`, { cause: error });
  }
}

function parseAction(reader: JsonReader, value: unknown, path: string): ParsedAction {
  // Unit variants (`"CreateAccount"`) serialise as bare strings.
  if (typeof value === 'string') return { kind: 'Other', variant: value };
  const action = reader.object(value, path);
  const variant = reader.variant(action, path);
  if (variant !== 'FunctionCall') return { kind: 'Other', variant };
  const callPath = `${path}.FunctionCall`;
  const call = reader.object(action.FunctionCall, callPath);
  return {
    kind: 'FunctionCall',
    methodName: reader.string(call.method_name, `${callPath}.method_name`),
    args: reader.string(call.args, `${callPath}.args`),
  };
}

function parseReceiptBody(reader: JsonReader, value: unknown, path: string): ParsedReceiptBody {
  const body = reader.object(value, path);
  const variant = reader.variant(body, path);
  if (variant === 'Action') {
    const actionPath = `${path}.Action`;
    const action = reader.object(body.Action, actionPath);
    const isPromiseYield = action.is_promise_yield;
    if (isPromiseYield !== undefined && typeof isPromiseYield !== 'boolean') reader.fail(`${actionPath}.is_promise_yield`, `expected a boolean, got ${describe(isPromiseYield)}`);
    return {
      kind: 'Action',
      signerId: reader.string(action.signer_id, `${actionPath}.signer_id`),
      actions: reader.array(action.actions, `${actionPath}.actions`).map((item, index) => parseAction(reader, item, `${actionPath}.actions[${index}]`)),
      isPromiseYield: isPromiseYield === true,
    };
  }
  if (variant === 'Data') {
    const dataPath = `${path}.Data`;
    const data = reader.object(body.Data, dataPath);
    return {
      kind: 'Data',
      dataId: reader.string(data.data_id, `${dataPath}.data_id`),
      data: data.data === null ? null : reader.string(data.data, `${dataPath}.data`),
    };
  }
  return { kind: 'Other', variant };
}

function parseReceipt(reader: JsonReader, value: unknown, path: string): ParsedReceipt {
  const receipt = reader.object(value, path);
  return {
    receiptId: reader.string(receipt.receipt_id, `${path}.receipt_id`),
    predecessorId: reader.string(receipt.predecessor_id, `${path}.predecessor_id`),
    receiverId: reader.string(receipt.receiver_id, `${path}.receiver_id`),
    body: parseReceiptBody(reader, receipt.receipt, `${path}.receipt`),
  };
}

function parseStatus(reader: JsonReader, value: unknown, path: string): ParsedExecutionStatus {
  if (value === 'Unknown') return { kind: 'Unknown' };
  const status = reader.object(value, path);
  const variant = reader.variant(status, path);
  switch (variant) {
    case 'SuccessValue':
      return { kind: 'SuccessValue', value: reader.string(status.SuccessValue, `${path}.SuccessValue`) };
    case 'SuccessReceiptId':
      return { kind: 'SuccessReceiptId', receiptId: reader.string(status.SuccessReceiptId, `${path}.SuccessReceiptId`) };
    case 'Failure':
      return { kind: 'Failure', failure: status.Failure };
    default:
      // nearcore's ExecutionStatusView has exactly these variants; anything else is not a file we understand.
      return reader.fail(path, `unknown execution status "${variant}"`);
  }
}

function parseReceiptOutcome(reader: JsonReader, value: unknown, path: string): ParsedReceiptOutcome {
  const entry = reader.object(value, path);
  const outcomePath = `${path}.execution_outcome`;
  const executionOutcome = reader.object(entry.execution_outcome, outcomePath);
  const id = reader.string(executionOutcome.id, `${outcomePath}.id`);
  const outcome = reader.object(executionOutcome.outcome, `${outcomePath}.outcome`);
  const receipt = parseReceipt(reader, entry.receipt, `${path}.receipt`);
  // The request id is taken from outcomes and the predecessor from receipts: they must be the same receipt.
  if (receipt.receiptId !== id) reader.fail(`${path}.receipt.receipt_id`, `receipt ${receipt.receiptId} does not match its outcome ${id}`);
  return {
    id,
    blockHash: reader.string(executionOutcome.block_hash, `${outcomePath}.block_hash`),
    executorId: reader.string(outcome.executor_id, `${outcomePath}.outcome.executor_id`),
    status: parseStatus(reader, outcome.status, `${outcomePath}.outcome.status`),
    receipt,
  };
}

/** Parses a `<height12>/shard_<i>.json` file (raw shape: {@link import('./lake-types.js').LakeShard}). */
export function parseLakeShard(input: Uint8Array | string, options: LakeParseOptions): ParsedShard {
  const reader = new JsonReader(options.source);
  const shard = reader.object(decodeJson(input, options), '$');
  return {
    shardId: reader.count(shard.shard_id, '$.shard_id'),
    receiptOutcomes: reader
      .array(shard.receipt_execution_outcomes, '$.receipt_execution_outcomes')
      .map((entry, index) => parseReceiptOutcome(reader, entry, `$.receipt_execution_outcomes[${index}]`)),
  };
}

/** Parses a `<height12>/block.json` file (raw shape: {@link import('./lake-types.js').LakeBlock}). */
export function parseLakeBlock(input: Uint8Array | string, options: LakeParseOptions): ParsedBlock {
  const reader = new JsonReader(options.source);
  const block = reader.object(decodeJson(input, options), '$');
  return readBlockHeader(reader, reader.object(block.header, '$.header'), (field) => `$.header.${field}`);
}

/**
 * S3 user-metadata names of the block header fields the public-lake follower attaches to the shard it
 * copies, in place of a second PUT for block.json (decision 0016). Own Lake writers attach none.
 */
export const BLOCK_HEADER_METADATA = {
  height: 'near-block-height',
  hash: 'near-block-hash',
  timestamp_nanosec: 'near-block-timestamp-nanosec',
  random_value: 'near-block-random-value',
} as const;

type BlockHeaderField = keyof typeof BLOCK_HEADER_METADATA;

/** The {@link BLOCK_HEADER_METADATA} of a block: S3 metadata values are strings. */
export function blockHeaderMetadata(block: ParsedBlock): Record<string, string> {
  return {
    [BLOCK_HEADER_METADATA.height]: String(block.height),
    [BLOCK_HEADER_METADATA.hash]: block.hash,
    [BLOCK_HEADER_METADATA.timestamp_nanosec]: block.timestampNanosec.toString(),
    [BLOCK_HEADER_METADATA.random_value]: base58.encode(block.randomValue),
  };
}

/**
 * The block header a shard object carries as S3 user metadata (names lowercase, as S3 returns them), or
 * null when it carries none (an own Lake writer's object: read block.json). Some fields without the
 * others, or a bad value, is a {@link LakeParseError} at `metadata <name>`.
 */
export function parseBlockHeaderMetadata(metadata: Readonly<Record<string, string>> | undefined, source: string): ParsedBlock | null {
  const fields = Object.keys(BLOCK_HEADER_METADATA) as BlockHeaderField[];
  const values: { [field: string]: string | number | undefined } = Object.fromEntries(fields.map((field) => [field, metadata?.[BLOCK_HEADER_METADATA[field]]]));
  if (fields.every((field) => values[field] === undefined)) return null;
  // The header reader wants the height as a number, as block.json has it.
  if (typeof values.height === 'string' && /^\d{1,15}$/.test(values.height)) values.height = Number(values.height);
  return readBlockHeader(new JsonReader(source), values, (field) => `metadata ${BLOCK_HEADER_METADATA[field as BlockHeaderField]}`);
}

/** The header fields of {@link ParsedBlock}, from block.json's `header` or the metadata's values. */
function readBlockHeader(reader: JsonReader, header: JsonObject, path: (field: BlockHeaderField) => string): ParsedBlock {
  const timestamp = reader.string(header.timestamp_nanosec, path('timestamp_nanosec'));
  if (!/^\d{1,20}$/.test(timestamp)) reader.fail(path('timestamp_nanosec'), `expected a decimal u64, got "${timestamp.slice(0, 40)}"`);
  const randomValueText = reader.string(header.random_value, path('random_value'));
  let randomValue: Uint8Array;
  try {
    randomValue = base58.decode(randomValueText);
  } catch {
    return reader.fail(path('random_value'), 'not base58');
  }
  if (randomValue.length !== 32) reader.fail(path('random_value'), `expected 32 bytes, got ${randomValue.length}`);
  return {
    height: reader.count(header.height, path('height')),
    hash: reader.string(header.hash, path('hash')),
    timestampNanosec: BigInt(timestamp),
    randomValue,
  };
}
