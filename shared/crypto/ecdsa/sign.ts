/**
 * One-round ECDSA signing from a presignature, with NEAR's rerandomisation and key derivation
 * (threshold-crypto.md §1, near-mpc.md §4; [GS21] against Wagner-style attacks on presignatures).
 *
 * Every participant derives the public δ = HKDF-SHA3-256(entropy; root key, tweak, payload, R,
 * participants) and rerandomises its presignature share:
 *   R ← δ·R,  kᵢ ← kᵢ·δ⁻¹,  σᵢ ← (σᵢ + ε·kᵢ)·δ⁻¹
 * which turns (R, k, σ = k·x) into a presignature for the derived key X + ε·G. Each participant then
 * sends sᵢ = h·kᵢ + r·σᵢ privately to the coordinator (r = x(R) mod n), which sums the shares,
 * normalises s to low-s, and finds the recovery id by trying 0..3 until public-key recovery yields the
 * derived key (as near/mpc does, near/mpc#98). That match *is* the verification the contract repeats
 * on chain (ecrecover), so an unverified signature is never returned.
 *
 * When the signature does not verify, the coordinator recomputes each participant's expected sᵢ·G
 * from the commitments published in presign and names the first participant whose share differs.
 */
import { bytesToNumberBE, equalBytes } from '@noble/curves/utils.js';
import { hkdf } from '@noble/hashes/hkdf.js';
import { sha3_256 } from '@noble/hashes/sha3.js';
import { utf8ToBytes } from '@noble/hashes/utils.js';
import { ByteWriter } from '../../codec/binary.js';
import { ProtocolAbort } from '../errors.js';
import { SECP256K1 } from '../group.js';
import { secp256k1TweakScalar, type Secp256k1Point } from '../kdf.js';
import { addGeneratorMultiple, compressPoint, linearCombination, multiplyGenerator, multiplyPublic, recoverPublicKey } from '../native/libsecp256k1.js';
import { lagrangeCoefficient } from '../polynomial.js';
import { readUint256, writeUint256 } from '../scalar-bytes.js';
import type { Action, ParticipantId, Protocol } from '../protocol.js';
import { EcdsaInputError } from './errors.js';
import { decodeSignShare, encodeSignShare, type SignShareMessage } from './messages.js';
import type { PresignatureShare } from './presignature.js';

const PROTOCOL = 'ecdsa-sign';
const Fn = SECP256K1.Fn;
const HALF_ORDER = Fn.ORDER >> 1n;

/** What the contract asked for, as every node reads it from the chain. */
export interface SignRequest {
  /** The 32-byte message hash to sign (near/mpc `payload_v2.Ecdsa`); must be below the group order. */
  readonly payloadHash: Uint8Array;
  /** The 32-byte derivation tweak of the request (kdf.ts `deriveTweak`). */
  readonly tweak: Uint8Array;
  /** 32 bytes of public per-request entropy (the block's random value); seeds δ. */
  readonly entropy: Uint8Array;
}

/** A verified, low-s secp256k1 signature under the derived key, in near/mpc's response shape. */
export interface EcdsaSignature {
  /** The rerandomised R, compressed (33 bytes); r = its x coordinate. */
  readonly bigR: Uint8Array;
  /** s, 32 bytes big-endian, at most n/2. */
  readonly s: Uint8Array;
  /** 0..3, for ecrecover: bit 0 = parity of the recovered R's y, bit 1 = x(R) ≥ n. */
  readonly recoveryId: number;
}

/** The coordinator returns the signature; every other participant returns once its share is sent. */
export type SignOutput =
  | { readonly role: 'coordinator'; readonly signature: EcdsaSignature }
  | { readonly role: 'participant' };

/** HKDF salt: domain separation of this project's δ from every other use of the entropy. */
const RERANDOMISATION_SALT = utf8ToBytes('near-chainsig-serverless ecdsa presignature rerandomisation v1');
/** 48 bytes reduced mod n: the bias is below 2⁻¹²⁸. */
const DELTA_BYTES = 48;

/**
 * δ = HKDF-SHA3-256(ikm = entropy, info = root key ‖ tweak ‖ payload ‖ R ‖ participant ids), as a
 * scalar. Binding everything the signature depends on means a presignature's δ cannot be steered by
 * choosing one input after seeing the others.
 */
export function rerandomisationDelta(presignature: PresignatureShare, request: SignRequest): bigint {
  const info = new ByteWriter(256)
    .fixed(presignature.publicKey)
    .fixed(request.tweak)
    .fixed(request.payloadHash)
    .fixed(presignature.bigR)
    .u32(presignature.participants.length);
  for (const id of presignature.participants) info.u32(id);
  return Fn.create(bytesToNumberBE(hkdf(sha3_256, request.entropy, RERANDOMISATION_SALT, info.finish(), DELTA_BYTES)));
}

/**
 * The recovery id (0..3) under which ecrecover(payload, r, s) yields the derived key root + ε·G, or
 * undefined when none does — that is, when (r, s) is not a valid signature under that key. Every id
 * is tried against the key, as near/mpc does (near/mpc#98: deriving the id from R's parity alone
 * went wrong after low-s normalisation); `likely` only puts one id first to save work and cannot
 * change the answer, since at most one id recovers a given key. The recovery is libsecp256k1's
 * `secp256k1_ecdsa_recover`, the ecrecover the chain runs.
 */
export function findRecoveryId(
  r: bigint,
  s: bigint,
  payloadHash: Uint8Array,
  rootKey: Secp256k1Point,
  epsilon: bigint,
  likely = 0,
): number | undefined {
  return recoveryIdUnder(r, s, payloadHash, compressPoint(addGeneratorMultiple(rootKey.toBytes(true), epsilon)), likely);
}

/** {@link findRecoveryId} for the derived key given as its compressed encoding. */
function recoveryIdUnder(r: bigint, s: bigint, payloadHash: Uint8Array, derivedKey: Uint8Array, likely: number): number | undefined {
  if (r <= 0n || r >= Fn.ORDER || s <= 0n || s >= Fn.ORDER) return undefined;
  const signature = new Uint8Array(64);
  writeUint256(signature, 0, r);
  writeUint256(signature, 32, s);
  for (const recoveryId of [likely, ...[0, 1, 2, 3].filter((id) => id !== likely)]) {
    const recovered = recoverPublicKey(signature, recoveryId, payloadHash);
    if (recovered !== undefined && equalBytes(recovered, derivedKey)) return recoveryId;
  }
  return undefined;
}

function requireBytes(value: Uint8Array, length: number, what: string): void {
  if (!(value instanceof Uint8Array) || value.length !== length) {
    throw new EcdsaInputError(PROTOCOL, `${what} must be ${length} bytes`);
  }
}

/** Everything a participant derives from the presignature and the request before sending. */
interface Rerandomised {
  readonly delta: bigint;
  /** δ·R, uncompressed. */
  readonly bigR: Uint8Array;
  /** R, compressed: the instance binding every share message carries. */
  readonly bigRBytes: Uint8Array;
  readonly r: bigint;
  readonly share: bigint;
}

export class EcdsaSign implements Protocol<SignOutput> {
  private readonly me: ParticipantId;
  private readonly participants: readonly ParticipantId[];
  private readonly epsilon: bigint;
  private readonly h: bigint;
  private prepared: Rerandomised | undefined;
  private readonly shares = new Map<ParticipantId, SignShareMessage>();
  private abort: ProtocolAbort | undefined;
  private state: 'start' | 'waiting' | 'done' = 'start';

  constructor(
    private readonly presignature: PresignatureShare,
    private readonly request: SignRequest,
    /** The participant that collects the shares and returns the signature (the request's leader). */
    private readonly coordinator: ParticipantId,
  ) {
    this.me = presignature.me;
    this.participants = presignature.participants;
    if (!this.participants.includes(coordinator)) throw new EcdsaInputError(PROTOCOL, `coordinator ${coordinator} is not in the presign set`);
    requireBytes(request.payloadHash, 32, 'the payload hash');
    requireBytes(request.tweak, 32, 'the tweak');
    requireBytes(request.entropy, 32, 'the entropy');
    // near/mpc's contract refuses payloads ≥ n; reducing them would sign a different number.
    this.h = bytesToNumberBE(request.payloadHash);
    if (this.h >= Fn.ORDER) throw new EcdsaInputError(PROTOCOL, 'the payload hash is not below the secp256k1 group order');
    try {
      this.epsilon = secp256k1TweakScalar(request.tweak);
    } catch (error) {
      throw new EcdsaInputError(PROTOCOL, (error as Error).message);
    }
  }

  private get isCoordinator(): boolean {
    return this.me === this.coordinator;
  }

  poke(): Action<SignOutput> {
    if (this.abort) throw this.abort;
    if (this.state === 'done') throw new Error(`${PROTOCOL}: poked after it returned`);
    try {
      if (this.state === 'start') {
        this.state = 'waiting';
        this.prepared = this.rerandomise();
        const own: SignShareMessage = { bigR: this.prepared.bigRBytes, share: this.prepared.share };
        this.shares.set(this.me, own);
        if (!this.isCoordinator) return { kind: 'send-private', to: this.coordinator, data: encodeSignShare(own) };
      }
      if (!this.isCoordinator) {
        this.state = 'done';
        return { kind: 'return', output: { role: 'participant' } };
      }
      if (this.shares.size < this.participants.length) return { kind: 'wait' };
      const signature = this.aggregate(this.prepared!);
      this.state = 'done';
      return { kind: 'return', output: { role: 'coordinator', signature } };
    } catch (error) {
      if (error instanceof ProtocolAbort) this.abort = error;
      throw error;
    }
  }

  message(from: ParticipantId, data: Uint8Array): void {
    if (this.abort || this.state === 'done') return;
    const reject = (reason: string, cause?: unknown): void => {
      this.abort = new ProtocolAbort(PROTOCOL, 'round-1', reason, from, { cause });
    };
    if (!this.isCoordinator) return reject(`only the coordinator ${this.coordinator} receives signature shares`);
    if (from === this.me) return reject('a message claims to come from this participant itself');
    if (!this.participants.includes(from)) return reject('message from a participant outside the signing set');
    if (this.shares.has(from)) return reject('second signature share (duplicate or replay)');
    try {
      this.shares.set(from, decodeSignShare(data));
    } catch (error) {
      reject(`malformed signature share: ${(error as Error).message}`, error);
    }
  }

  private rerandomise(): Rerandomised {
    const { presignature, epsilon, h } = this;
    const delta = rerandomisationDelta(presignature, this.request);
    if (delta === 0n) throw new ProtocolAbort(PROTOCOL, 'rerandomise', 'δ is zero');
    const bigR = multiplyPublic(presignature.bigR, delta);
    const r = Fn.create(readUint256(bigR, 1));
    if (r === 0n) throw new ProtocolAbort(PROTOCOL, 'rerandomise', 'x(R) is zero mod n');
    const deltaInverse = Fn.inv(delta);
    const k = Fn.mul(presignature.k, deltaInverse);
    const sigma = Fn.mul(Fn.add(presignature.sigma, Fn.mul(epsilon, presignature.k)), deltaInverse);
    return { delta, bigR, bigRBytes: compressPoint(bigR), r, share: Fn.add(Fn.mul(h, k), Fn.mul(r, sigma)) };
  }

  private aggregate(prepared: Rerandomised): EcdsaSignature {
    let s = 0n;
    for (const [id, message] of this.shares) {
      if (!equalBytes(message.bigR, prepared.bigRBytes)) {
        throw new ProtocolAbort(PROTOCOL, 'round-1', 'signature share is for another signing instance (its R differs)', id);
      }
      s = Fn.add(s, message.share);
    }
    // Low-s negates s, which is a signature with nonce point −R: R's y parity flips.
    const negated = s > HALF_ORDER;
    if (negated) s = Fn.neg(s);
    const yParity = prepared.bigR[64]! & 1;
    const likelyRecoveryId = (yParity ^ (negated ? 1 : 0)) | (readUint256(prepared.bigR, 1) >= Fn.ORDER ? 2 : 0);
    const derivedKey = compressPoint(addGeneratorMultiple(this.presignature.publicKey, this.epsilon));
    const recoveryId = recoveryIdUnder(prepared.r, s, this.request.payloadHash, derivedKey, likelyRecoveryId);
    if (recoveryId === undefined) this.blame(prepared);
    return { bigR: prepared.bigRBytes, s: SECP256K1.scalarToBytes(s), recoveryId };
  }

  /**
   * Names the participant whose share differs from what its presign commitments predict:
   *   δ·sⱼ·G = (h + r·ε)·k′ⱼ·G + r·σ′ⱼ·G, with k′ⱼ·G = kaⱼ·G − A′ⱼ and
   *   σ′ⱼ·G = ka·λⱼ·Xⱼ − xb·A′ⱼ + C′ⱼ,
   * rearranged so the base-point term is one multiplication. Honest shares always match, so a
   * mismatch convicts; the presign checks make matching shares sum to a valid signature.
   */
  private blame(prepared: Rerandomised): never {
    const { delta, r } = prepared;
    const { epsilon, h } = this;
    const { ka, xb } = this.presignature;
    const nonceWeight = Fn.add(h, Fn.mul(r, epsilon));
    for (const id of this.participants) {
      const commitments = this.presignature.commitments.get(id)!;
      const lambda = lagrangeCoefficient(Fn, this.participants, id);
      const shareTimesDelta = Fn.mul(delta, this.shares.get(id)!.share);
      const baseScalar = Fn.sub(shareTimesDelta, Fn.mul(nonceWeight, commitments.kaShare));
      const lhs = baseScalar === 0n ? undefined : multiplyGenerator(baseScalar);
      const rhs = linearCombination(
        [commitments.keyVerifyingShare, commitments.aCommitment, commitments.cCommitment],
        [Fn.mul(Fn.mul(r, ka), lambda), Fn.neg(Fn.add(nonceWeight, Fn.mul(r, xb))), r],
      );
      const matches = lhs === undefined || rhs === undefined ? lhs === rhs : equalBytes(lhs, rhs);
      if (!matches) throw new ProtocolAbort(PROTOCOL, 'verify-share', 'signature share does not match the presign commitments', id);
    }
    throw new ProtocolAbort(PROTOCOL, 'verify', 'the signature does not verify although every share matches its commitments');
  }
}
