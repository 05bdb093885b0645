/**
 * A chain-signatures client as a dApp would write one with @near-js: it calls `sign` on the MPC signer
 * (or on FastAuth with a JWT), waits for the call's result — the signature JSON the contract returns —
 * and checks it independently: ECDSA with noble (and the contract's own derived key view), Ed25519 with
 * Node's built-in crypto. `npm start`, `chainsig sign`, the end-to-end tests and the benchmark use it.
 */
import { Account } from '@near-js/accounts';
import type { KeyPair } from '@near-js/crypto';
import { JsonRpcProvider } from '@near-js/providers';
import { KeyPairSigner } from '@near-js/signers';
import type { FinalExecutionOutcome } from '@near-js/types';
import { getTransactionLastResult } from '@near-js/utils';
import { secp256k1 } from '@noble/curves/secp256k1.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex, concatBytes, hexToBytes } from '@noble/hashes/utils.js';
import { verifyEd25519Native } from '../../../shared/crypto/ed25519-native.js';
import type { FastAuthSignArgs } from '../../../shared/near/fast-auth-abi.js';
import { parsePublicKey, secp256k1RawXY } from '../../../shared/near/keys.js';
import type { SignArgs } from '../../../shared/near/signer-abi.js';
import { setBounded } from '../../mpc-node/bounded-map.js';

const TERA_GAS = 10n ** 12n;
/** What `sign` attaches unless told otherwise: the signer keeps 1 yocto, and 50 Tgas covers its 20 Tgas minimum. */
export const SIGN_DEPOSIT = 1n;
export const SIGN_GAS = 50n * TERA_GAS;

export type SignScheme = 'Secp256k1' | 'Ed25519';

/** One answered request, in the shape `npm start -- --json` writes. */
export interface SignRecord {
  readonly domain_id: number;
  readonly scheme: SignScheme;
  /** The immediate caller of the signer's `sign` (the FastAuth contract for FastAuth requests). */
  readonly predecessor: string;
  readonly path: string;
  /** The exact bytes the network signed (for FastAuth: SHA-256 of sign_payload). */
  readonly payload_hex: string;
  readonly root_public_key: string;
  readonly derived_public_key: string;
  /** The contract's JSON, exactly as the caller received it. */
  readonly response: unknown;
  readonly latency_ms: number;
}

/** The signature in a response does not verify (or the response has the wrong shape). */
export class SignatureVerificationFailed extends Error {
  constructor(
    readonly record: Pick<SignRecord, 'scheme' | 'predecessor' | 'path' | 'payload_hex'>,
    reason: string,
  ) {
    super(`${record.scheme} signature for ${record.predecessor} / "${record.path}" does not verify: ${reason}`);
    this.name = 'SignatureVerificationFailed';
  }
}

/**
 * Where the request and its answer sit on chain: the first and the last block in which a receipt of the
 * MPC signer ran for this call — the `sign` receipt that yielded, and the resumed callback that returned
 * the signature once `respond` landed.
 */
export interface SignerBlocks {
  readonly request: string;
  readonly response: string;
}

/**
 * A `sign` call's answer before the record is completed and checked: what was asked, the contract's
 * response, the client-observed latency and where the request and its answer sit on chain.
 */
export interface SignAnswer {
  readonly domainId: number;
  readonly scheme: SignScheme;
  readonly path: string;
  readonly predecessor: string;
  readonly payloadHex: string;
  readonly response: unknown;
  readonly latencyMs: number;
  readonly signerBlocks: SignerBlocks;
}

export interface SignClientOptions {
  readonly rpcUrl: string;
  readonly signerContractId: string;
  readonly accountId: string;
  readonly keyPair: KeyPair;
}

export interface DirectSignRequest {
  readonly domainId: number;
  readonly scheme: SignScheme;
  readonly path: string;
  readonly payload: Uint8Array;
  readonly deposit?: bigint;
  readonly gas?: bigint;
  /** Send near/mpc's legacy request form (`payload` bytes, `key_version`) instead of `payload_v2` and `domain_id`. */
  readonly legacy?: boolean;
}

export interface FastAuthSignRequest {
  readonly fastAuthContractId: string;
  readonly guardId: string;
  readonly token: string;
  readonly sub: string;
  readonly signPayload: Uint8Array;
  readonly algorithm: 'ecdsa' | 'eddsa';
  readonly domainId: number;
}

/** FastAuth verifies the JWT and then calls the signer: 300 Tgas, the most a transaction may carry. */
const FAST_AUTH_SIGN_GAS = 300n * TERA_GAS;

/** Block times a client keeps: more than any benchmark run's requests touch. */
const REMEMBERED_BLOCKS = 10_000;

export class SignClient {
  private readonly provider: JsonRpcProvider;
  private readonly account: Account;
  private readonly blockTimes = new Map<string, Promise<{ readonly height: number; readonly timestampMs: number }>>();

  constructor(private readonly options: SignClientOptions) {
    this.provider = new JsonRpcProvider({ url: options.rpcUrl });
    this.account = new Account(options.accountId, this.provider, new KeyPairSigner(options.keyPair));
  }

  /** A direct `sign` on the MPC signer: ECDSA signs a 32-byte hash, EdDSA the bytes themselves. */
  async sign(request: DirectSignRequest): Promise<SignRecord> {
    return this.record(await this.callSign(request));
  }

  /** `sign` on FastAuth, authorised by a JWT whose claims commit to `signPayload`; the network signs SHA-256(signPayload). */
  async signWithFastAuth(request: FastAuthSignRequest): Promise<SignRecord> {
    return this.record(await this.callFastAuthSign(request));
  }

  /** The call of {@link sign} alone: the answer, without the two key views that complete the record. */
  async callSign(request: DirectSignRequest): Promise<SignAnswer> {
    const { domainId, scheme, path, payload } = request;
    const payloadV2 = scheme === 'Secp256k1' ? { Ecdsa: bytesToHex(payload) } : { Eddsa: bytesToHex(payload) };
    // The legacy form (ECDSA only): the hash as a byte array, the domain as `key_version`.
    const args: SignArgs['request'] = request.legacy === true ? { path, payload: [...payload], key_version: domainId } : { path, payload_v2: payloadV2, domain_id: domainId };
    const call = await this.call(this.options.signerContractId, { request: args }, request.deposit ?? SIGN_DEPOSIT, request.gas ?? SIGN_GAS);
    return { domainId, scheme, path, predecessor: this.options.accountId, payloadHex: bytesToHex(payload), ...call };
  }

  /** The call of {@link signWithFastAuth} alone. */
  async callFastAuthSign(request: FastAuthSignRequest): Promise<SignAnswer> {
    const args: FastAuthSignArgs = { guard_id: request.guardId, verify_payload: request.token, sign_payload: [...request.signPayload], algorithm: request.algorithm };
    const call = await this.call(request.fastAuthContractId, args, SIGN_DEPOSIT, FAST_AUTH_SIGN_GAS);
    return {
      domainId: request.domainId,
      scheme: request.algorithm === 'ecdsa' ? 'Secp256k1' : 'Ed25519',
      path: `${request.guardId}#${request.sub}`,
      predecessor: request.fastAuthContractId,
      payloadHex: bytesToHex(sha256(request.signPayload)),
      ...call,
    };
  }

  /** One `sign` call, timed from submission to the result; throws as @near-js does when the call failed. */
  private async call(contractId: string, args: Record<string, unknown>, deposit: bigint, gas: bigint): Promise<{ response: unknown; latencyMs: number; signerBlocks: SignerBlocks }> {
    const started = performance.now();
    const outcome = await this.account.callFunctionRaw({ contractId, methodName: 'sign', args, deposit, gas });
    const latencyMs = performance.now() - started;
    return { response: getTransactionLastResult(outcome), latencyMs, signerBlocks: this.signerBlocksOf(outcome) };
  }

  private signerBlocksOf(outcome: FinalExecutionOutcome): SignerBlocks {
    const missing = (what: string): never => {
      throw new Error(`transaction ${outcome.transaction_outcome.id}: ${what}`);
    };
    // Receipt outcomes are listed in execution order. NEAR's RPC puts `block_hash` on each; @near-js's type leaves it out.
    const blocks: string[] = [];
    for (const receipt of outcome.receipts_outcome as ReadonlyArray<(typeof outcome.receipts_outcome)[number] & { readonly block_hash?: unknown }>) {
      if (receipt.outcome.executor_id !== this.options.signerContractId) continue;
      blocks.push(typeof receipt.block_hash === 'string' ? receipt.block_hash : missing(`receipt ${receipt.id} has no block hash`));
    }
    return { request: blocks[0] ?? missing(`no receipt of ${this.options.signerContractId}`), response: blocks[blocks.length - 1]! };
  }

  /** Height and timestamp (ms) of a block, by hash; blocks never change, so each is read once (the most recent {@link REMEMBERED_BLOCKS}). */
  blockTime(hash: string): Promise<{ readonly height: number; readonly timestampMs: number }> {
    const known = this.blockTimes.get(hash);
    if (known !== undefined) return known;
    const read = this.provider.viewBlock({ blockId: hash }).then((block) => ({ height: block.header.height, timestampMs: Number(BigInt(block.header.timestamp_nanosec) / 1_000_000n) }));
    // A failed read is not remembered.
    read.catch(() => this.blockTimes.delete(hash));
    setBounded(this.blockTimes, hash, read, REMEMBERED_BLOCKS);
    return read;
  }

  /** Blocks and milliseconds from the block of an answer's `sign` receipt to the block of its resumed callback (two block views). */
  async onChainSpan(answer: SignAnswer): Promise<{ readonly blocks: number; readonly ms: number }> {
    const [request, response] = await Promise.all([this.blockTime(answer.signerBlocks.request), this.blockTime(answer.signerBlocks.response)]);
    return { blocks: response.height - request.height, ms: response.timestampMs - request.timestampMs };
  }

  /** The record of an answer: the signer's root key and the derived key it reports for the request (two views). */
  async record(fields: SignAnswer): Promise<SignRecord> {
    const view = (methodName: string, args: Record<string, unknown>) => this.provider.callFunction(this.options.signerContractId, methodName, args) as Promise<string>;
    const [root, derived] = await Promise.all([
      view('public_key', { domain_id: fields.domainId }),
      view('derived_public_key', { path: fields.path, predecessor: fields.predecessor, domain_id: fields.domainId }),
    ]);
    return {
      domain_id: fields.domainId,
      scheme: fields.scheme,
      predecessor: fields.predecessor,
      path: fields.path,
      payload_hex: fields.payloadHex,
      root_public_key: root,
      derived_public_key: derived,
      response: fields.response,
      latency_ms: Math.round(fields.latencyMs * 10) / 10,
    };
  }
}

interface EcdsaResponseJson {
  readonly scheme?: 'Secp256k1';
  readonly big_r: { readonly affine_point: string };
  readonly s: { readonly scalar: string };
  readonly recovery_id: number;
}

/**
 * Checks the record's signature under its derived key with implementations other than the network's
 * signing code: noble's secp256k1 (verify and public-key recovery, low s), Node's Ed25519.
 */
export function verifySignRecord(record: SignRecord): void {
  const fail = (reason: string): never => {
    throw new SignatureVerificationFailed(record, reason);
  };
  const message = hexToBytes(record.payload_hex);
  if (record.scheme === 'Secp256k1') {
    const response = record.response as EcdsaResponseJson;
    if (typeof response?.big_r?.affine_point !== 'string' || typeof response.s?.scalar !== 'string') fail(`not an ECDSA response: ${JSON.stringify(record.response)}`);
    const r = secp256k1.Point.fromHex(response.big_r.affine_point).toAffine().x;
    const compact = concatBytes(hexToBytes(r.toString(16).padStart(64, '0')), hexToBytes(response.s.scalar));
    const parsed = parsePublicKey(record.derived_public_key, 'secp256k1');
    if (parsed.curve !== 'secp256k1') return fail('the derived key is not a secp256k1 key');
    const derived = parsed.point;
    if (!secp256k1.verify(compact, message, derived.toBytes(true), { prehash: false, lowS: true })) fail('noble secp256k1 verify failed');
    const recovered = secp256k1.Signature.fromBytes(compact, 'compact').addRecoveryBit(response.recovery_id).recoverPublicKey(message);
    if (bytesToHex(secp256k1RawXY(recovered)) !== bytesToHex(secp256k1RawXY(derived))) fail(`recovery id ${response.recovery_id} recovers another key`);
    return;
  }
  const response = record.response as { scheme?: string; signature?: number[] };
  if (response?.scheme !== 'Ed25519' || !Array.isArray(response.signature) || response.signature.length !== 64) fail(`not an Ed25519 response: ${JSON.stringify(record.response)}`);
  const derived = parsePublicKey(record.derived_public_key, 'ed25519').point.toBytes();
  if (!verifyEd25519Native(Uint8Array.from(response.signature!), message, derived)) fail('node:crypto Ed25519 verify failed');
}
