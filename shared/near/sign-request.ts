/**
 * Sign requests as the MPC nodes see them, found in parsed NEAR Lake shards the way near/mpc's
 * indexer finds them (crates/node/src/indexer/handler.rs): an execution outcome whose executor is the
 * MPC contract, whose receipt holds a single FunctionCall `sign`, and whose status is
 * `SuccessReceiptId(next_id)`. `next_id` is the receipt id of the yield callback
 * (`return_signature_and_clean_state_on_success`) and is the request id the contract and all nodes
 * agree on. When that callback receipt executes, the request is over: a returned value means a
 * `respond` resumed the yield with a signature; anything else means the yield timed out.
 *
 * Pure: no I/O. The per-request entropy is the `random_value` of the block whose chunk executed the
 * `sign` receipt (near/mpc uses `block.header.random_value`); it lives in `block.json`, not in the
 * shard, so extraction is two steps: {@link extractSignActivity} on the shard, then
 * {@link attachBlock} with that block.
 */
import { bytesToHex } from '@noble/hashes/utils.js';
import { z } from 'zod';
import { deriveTweak, secp256k1TweakScalar, TweakNotOnCurve } from '../crypto/kdf.js';
import type { CryptoHash } from './lake-types.js';
import { MAX_EDDSA_PAYLOAD_BYTES, SIGNER_METHODS } from './signer-abi.js';
import type { ParsedBlock, ParsedReceiptOutcome, ParsedShard } from './lake-parser.js';


/** The message to sign, as the contract stores it: ECDSA a 32-byte hash, EdDSA raw bytes. Lowercase hex. */
export type SignPayload = { readonly scheme: 'Ecdsa'; readonly hex: string } | { readonly scheme: 'Eddsa'; readonly hex: string };

/** A `sign` call the contract accepted and yielded on, before its block's entropy is attached. */
export interface ObservedSignCall {
  /** The yield callback receipt id: the id the contract and every node use for this request. */
  readonly requestId: CryptoHash;
  /** The receipt that executed `sign`. */
  readonly signReceiptId: CryptoHash;
  readonly blockHash: CryptoHash;
  /** Immediate caller of `sign` (the FastAuth contract for FastAuth users); the tweak is derived from it. */
  readonly predecessorId: string;
  /** Signer of the originating transaction (the end user, also behind FastAuth); for logs. */
  readonly signerId: string;
  /** `v2` when the payload came as `payload_v2`, `legacy` when as a byte array `payload`. */
  readonly argsForm: 'v2' | 'legacy';
  readonly path: string;
  readonly domainId: number;
  readonly payload: SignPayload;
  /** SHA3-256 derivation tweak, lowercase hex (shared/crypto/kdf.ts). */
  readonly tweak: string;
}

/** What the MPC nodes consume (one sign-requests queue message each, encoded by {@link encodeSignRequest}). */
export interface SignRequest extends ObservedSignCall {
  readonly version: 1;
  readonly contractId: string;
  /** 32 bytes of public per-request entropy, lowercase hex: the block's `random_value`, as near/mpc uses it. */
  readonly entropy: string;
  readonly block: { readonly height: number; readonly hash: CryptoHash; readonly timestampNanosec: string };
}

/** The yield callback of a request ran: the request is over. */
export interface SignCompletion {
  readonly requestId: CryptoHash;
  /** `answered`: the callback returned the signature; `timed_out`: the yield was not resumed in time. */
  readonly outcome: 'answered' | 'timed_out';
  readonly blockHash: CryptoHash;
}

/** A successful `respond` call (its arguments name the request by content, not by id; the callback that follows carries the id). */
export interface ObservedRespond {
  readonly receiptId: CryptoHash;
  readonly responderId: string;
  readonly blockHash: CryptoHash;
}

/** A `sign` call the contract accepted but this indexer cannot turn into a request; reported, never silently dropped. */
export interface UnreadableSignCall {
  readonly signReceiptId: CryptoHash;
  readonly requestId: CryptoHash;
  readonly reason: string;
}

export interface ShardSignActivity {
  readonly signCalls: readonly ObservedSignCall[];
  readonly completions: readonly SignCompletion[];
  readonly responds: readonly ObservedRespond[];
  readonly unreadable: readonly UnreadableSignCall[];
}

/** The block given to {@link attachBlock} is not the one whose chunk executed the sign call. */
export class LakeBlockMismatch extends Error {
  constructor(
    readonly requestId: CryptoHash,
    readonly expectedBlockHash: CryptoHash,
    readonly actualBlockHash: CryptoHash,
  ) {
    super(`sign request ${requestId} executed in block ${expectedBlockHash}, but its block.json is block ${actualBlockHash}`);
    this.name = 'LakeBlockMismatch';
  }
}

/** A sign-requests queue message could not be decoded; `issues` lists each bad field with its path. */
export class SignRequestDecodeError extends Error {
  constructor(readonly issues: string) {
    super(`invalid sign request message: ${issues}`);
    this.name = 'SignRequestDecodeError';
  }
}

const lowerHex = (what: string) => z.string().regex(/^(?:[0-9a-f]{2})*$/, `${what} must be lowercase hex`);
const anyCaseHex = z.string().regex(/^(?:[0-9a-fA-F]{2})*$/, 'must be hex');
const domainId = z.int().nonnegative();

/**
 * `{request: …}` as near/mpc's contract reads it: the payload comes as exactly one of `payload_v2`
 * (`{"Ecdsa": hex32}` / `{"Eddsa": hex}`) or legacy `payload` (32 numbers, always ECDSA); the domain as
 * exactly one of `domain_id` or legacy `key_version` (near/mpc 3.14 refuses a request naming neither,
 * so an accepted call without one is reported as unreadable, never given a default).
 */
const signArgsSchema = z.object({
  request: z
    .object({
      path: z.string(),
      payload_v2: z
        .union([
          z.strictObject({ Ecdsa: anyCaseHex.length(64, 'an Ecdsa payload is 32 bytes') }),
          z.strictObject({ Eddsa: anyCaseHex.max(2 * MAX_EDDSA_PAYLOAD_BYTES, `an Eddsa payload is at most ${MAX_EDDSA_PAYLOAD_BYTES} bytes`) }),
        ])
        .optional(),
      payload: z.array(z.int().min(0).max(255)).length(32).optional(),
      domain_id: domainId.optional(),
      key_version: domainId.optional(),
    })
    .refine((request) => (request.payload_v2 === undefined) !== (request.payload === undefined), {
      message: 'exactly one of payload_v2 and payload must be given',
    })
    .refine((request) => request.domain_id === undefined || request.key_version === undefined, {
      message: 'domain_id and key_version cannot both be given',
    })
    .refine((request) => request.domain_id !== undefined || request.key_version !== undefined, {
      message: 'one of domain_id and key_version must be given',
    }),
});

type ReadSignArgs = Pick<ObservedSignCall, 'argsForm' | 'path' | 'domainId' | 'payload'>;

function readSignArgs(base64Args: string): ReadSignArgs | { readonly error: string } {
  let json: unknown;
  try {
    json = JSON.parse(Buffer.from(base64Args, 'base64').toString('utf8'));
  } catch (error) {
    return { error: `arguments are not base64 JSON (${(error as Error).message})` };
  }
  const parsed = signArgsSchema.safeParse(json);
  if (!parsed.success) return { error: `arguments do not match sign({request}): ${z.prettifyError(parsed.error).replaceAll('\n', '; ')}` };
  const { path, payload_v2: payloadV2, payload, domain_id: domain, key_version: keyVersion } = parsed.data.request;
  const signPayload: SignPayload =
    payloadV2 === undefined
      ? { scheme: 'Ecdsa', hex: bytesToHex(Uint8Array.from(payload!)) }
      : 'Ecdsa' in payloadV2
        ? { scheme: 'Ecdsa', hex: payloadV2.Ecdsa.toLowerCase() }
        : { scheme: 'Eddsa', hex: payloadV2.Eddsa.toLowerCase() };
  return { argsForm: payloadV2 === undefined ? 'legacy' : 'v2', path, domainId: (domain ?? keyVersion)!, payload: signPayload };
}

/** The only FunctionCall of a receipt, or undefined when the receipt is not exactly one FunctionCall. */
function singleFunctionCall(outcome: ParsedReceiptOutcome) {
  const body = outcome.receipt.body;
  if (body.kind !== 'Action' || body.actions.length !== 1) return undefined;
  const action = body.actions[0]!;
  return action.kind === 'FunctionCall' ? action : undefined;
}

function observeSignCall(outcome: ParsedReceiptOutcome, requestId: CryptoHash, signerId: string, args: string): ObservedSignCall | UnreadableSignCall {
  const unreadable = (reason: string): UnreadableSignCall => ({ signReceiptId: outcome.id, requestId, reason });
  const read = readSignArgs(args);
  if ('error' in read) return unreadable(read.error);
  const predecessorId = outcome.receipt.predecessorId;
  let tweak: Uint8Array;
  try {
    tweak = deriveTweak(predecessorId, read.path);
    // The contract derives the key as root + tweak·G; a tweak that is not a secp256k1 scalar cannot be signed for.
    if (read.payload.scheme === 'Ecdsa') secp256k1TweakScalar(tweak);
  } catch (error) {
    if (error instanceof TweakNotOnCurve || error instanceof RangeError) return unreadable(error.message);
    throw error;
  }
  return { requestId, signReceiptId: outcome.id, blockHash: outcome.blockHash, predecessorId, signerId, ...read, tweak: bytesToHex(tweak) };
}

/**
 * Every sign call, completion and respond in one shard for the MPC contract `contractId`. Calls to
 * other contracts, failed calls and receipts the contract did not execute are ignored.
 */
export function extractSignActivity(shard: ParsedShard, contractId: string): ShardSignActivity {
  const signCalls: ObservedSignCall[] = [];
  const completions: SignCompletion[] = [];
  const responds: ObservedRespond[] = [];
  const unreadable: UnreadableSignCall[] = [];
  for (const outcome of shard.receiptOutcomes) {
    if (outcome.executorId !== contractId || outcome.receipt.body.kind !== 'Action') continue;
    const { status } = outcome;
    const call = singleFunctionCall(outcome);
    if (call?.methodName === SIGNER_METHODS.sign) {
      // Only an accepted call yields; its status then names the callback receipt, i.e. the request id.
      if (status.kind !== 'SuccessReceiptId') continue;
      const observed = observeSignCall(outcome, status.receiptId, outcome.receipt.body.signerId, call.args);
      if ('reason' in observed) unreadable.push(observed);
      else signCalls.push(observed);
    } else if (call?.methodName === SIGNER_METHODS.returnSignature) {
      // The callback is #[private]: only the contract's own yield can run it. Anyone else's call fails
      // and must not close a request (or create one under an unrelated id).
      if (outcome.receipt.predecessorId !== contractId || status.kind === 'Unknown') continue;
      completions.push({ requestId: outcome.id, outcome: status.kind === 'SuccessValue' ? 'answered' : 'timed_out', blockHash: outcome.blockHash });
    } else if (status.kind === 'SuccessValue' || status.kind === 'SuccessReceiptId') {
      for (const action of outcome.receipt.body.actions) {
        if (action.kind !== 'FunctionCall') continue;
        if (action.methodName === SIGNER_METHODS.respond) {
          responds.push({ receiptId: outcome.id, responderId: outcome.receipt.predecessorId, blockHash: outcome.blockHash });
        } else if (action.methodName === SIGNER_METHODS.sign && status.kind === 'SuccessReceiptId') {
          // A batch receipt's status is its last action's result, so earlier yields' ids are not in the
          // Lake at all; near/mpc skips these too. Reported so an operator sees requests that will time out.
          unreadable.push({
            signReceiptId: outcome.id,
            requestId: status.receiptId,
            reason: `sign inside a receipt with ${outcome.receipt.body.actions.length} actions: only single-action sign receipts are indexed`,
          });
        }
      }
    }
  }
  return { signCalls, completions, responds, unreadable };
}

/** Completes sign calls with their block (`block.json` of the shard's height): entropy and block coordinates. */
export function attachBlock(signCalls: readonly ObservedSignCall[], block: ParsedBlock, contractId: string): SignRequest[] {
  const hash = block.hash;
  const entropy = bytesToHex(block.randomValue);
  const blockInfo = { height: block.height, hash, timestampNanosec: block.timestampNanosec.toString() };
  return signCalls.map((call) => {
    if (call.blockHash !== hash) throw new LakeBlockMismatch(call.requestId, call.blockHash, hash);
    return { version: 1, contractId, ...call, entropy, block: blockInfo };
  });
}

const signRequestSchema = z.strictObject({
  version: z.literal(1),
  contractId: z.string().min(1),
  requestId: z.string().min(1),
  signReceiptId: z.string().min(1),
  blockHash: z.string().min(1),
  predecessorId: z.string().min(1),
  signerId: z.string().min(1),
  argsForm: z.enum(['v2', 'legacy']),
  path: z.string(),
  domainId,
  payload: z.discriminatedUnion('scheme', [
    z.strictObject({ scheme: z.literal('Ecdsa'), hex: lowerHex('payload').length(64) }),
    z.strictObject({ scheme: z.literal('Eddsa'), hex: lowerHex('payload').max(2 * MAX_EDDSA_PAYLOAD_BYTES) }),
  ]),
  tweak: lowerHex('tweak').length(64),
  entropy: lowerHex('entropy').length(64),
  block: z.strictObject({ height: z.int().nonnegative(), hash: z.string().min(1), timestampNanosec: z.string().regex(/^\d+$/) }),
});

/** The sign-requests queue message body: JSON of {@link SignRequest}. */
export function encodeSignRequest(request: SignRequest): string {
  return JSON.stringify(request);
}

/** Reads a sign-requests queue message body; any missing, extra or mistyped field is a {@link SignRequestDecodeError}. */
export function decodeSignRequest(body: string): SignRequest {
  let json: unknown;
  try {
    json = JSON.parse(body);
  } catch (error) {
    throw new SignRequestDecodeError(`not JSON (${(error as Error).message})`);
  }
  const parsed = signRequestSchema.safeParse(json);
  if (!parsed.success) throw new SignRequestDecodeError(z.prettifyError(parsed.error).replaceAll('\n', '; '));
  return parsed.data;
}
