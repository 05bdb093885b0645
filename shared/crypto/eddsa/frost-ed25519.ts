/**
 * FROST(Ed25519, SHA-512) — RFC 9591 §4 (helpers), §5 (signing) and §6.1 (the ciphersuite
 * "FROST-ED25519-SHA512-v1") — written from the RFC on libsodium's Ed25519 point operations
 * (../native/libsodium.ts), as decision 0006 allows: the group operations and hashes are the
 * libraries', the equations the RFC's, and every output is compared byte for byte with
 * @noble/curves' `ed25519_FROST` in frost-ed25519.test.ts.
 *
 * The inputs and outputs have noble's shapes (`FrostSecret`, `FrostPublic`, `Nonces`,
 * `NonceCommitments`, identifiers as the hex of the scalar's encoding), so key packages and stored
 * presignatures are unchanged. Unlike noble's one-call `signShare` / `verifyShare` / `aggregate`,
 * what they share — binding factors, group commitment, challenge, Lagrange coefficients — is derived
 * once per (key, commitment list, message) by {@link prepareSigning}: a coordinator that also signs
 * computes the group commitment once.
 *
 * Every point received is validated as RFC 9591 §3.1 DeserializeElement requires (canonical, on the
 * curve, not the identity, prime order): the group key and hiding commitments explicitly, binding
 * commitments and verifying shares by libsodium's multiplication, which refuses anything else.
 * Scalar products of secrets are BigInt arithmetic mod ℓ, as in noble (libsodium offers no scalar
 * multiplication here); no branch or table index depends on a secret.
 */
import { createHash } from 'node:crypto';
import type { Identifier, RNG } from '@noble/curves/abstract/frost.js';
import { concatBytes, equalBytes, hexToBytes } from '@noble/curves/utils.js';
import { randomBytes } from '@noble/hashes/utils.js';
import { ED25519 } from '../group.js';
import { addPoints, Ed25519OperationError, isPrimeOrderPoint, multiply, multiplyBase, reduceScalar, verifySignature } from '../native/libsodium.js';

const Fn = ED25519.Fn;
const CONTEXT_STRING = 'FROST-ED25519-SHA512-v1';
const encoder = new TextEncoder();
const H1_PREFIX = encoder.encode(`${CONTEXT_STRING}rho`);
const H3_PREFIX = encoder.encode(`${CONTEXT_STRING}nonce`);
const H4_PREFIX = encoder.encode(`${CONTEXT_STRING}msg`);
const H5_PREFIX = encoder.encode(`${CONTEXT_STRING}com`);
/** H3's fresh randomness per nonce (RFC 9591 §4.1 nonce_generate). */
const NONCE_RANDOM_BYTES = 32;

/** A signer's secret key package, in noble's `FrostSecret` shape. */
export interface FrostSecret {
  readonly identifier: Identifier;
  readonly signingShare: Uint8Array;
}

/** The public key package, in noble's `FrostPublic` shape; `commitments[0]` is the group key. */
export interface FrostPublic {
  readonly signers: { readonly min: number; readonly max: number };
  readonly commitments: readonly Uint8Array[];
  readonly verifyingShares: Readonly<Record<Identifier, Uint8Array>>;
}

/** A signer's secret nonces d (hiding) and e (binding), canonical scalars. */
export interface Nonces {
  readonly hiding: Uint8Array;
  readonly binding: Uint8Array;
}

/** A signer's round-1 commitments D = d·B and E = e·B. */
export interface NonceCommitments {
  readonly identifier: Identifier;
  readonly hiding: Uint8Array;
  readonly binding: Uint8Array;
}

/** FROST inputs that cannot be signed, verified or aggregated with (a bad point, identifier, list or share). */
export class FrostInputError extends RangeError {
  constructor(reason: string, options?: { cause: unknown }) {
    super(`FROST(Ed25519): ${reason}`, options);
    this.name = 'FrostInputError';
  }
}

/** The aggregate of the shares is not a valid Ed25519 signature under the group key (some share is wrong). */
export class FrostAggregateInvalid extends Error {
  constructor() {
    super('FROST(Ed25519): the aggregate signature does not verify under the group key');
    this.name = 'FrostAggregateInvalid';
  }
}

function sha512(...parts: readonly Uint8Array[]): Uint8Array {
  const hash = createHash('sha512');
  for (const part of parts) hash.update(part);
  return new Uint8Array(hash.digest());
}

/** SHA-512 of the parts, read little-endian and reduced mod ℓ (H1, H2 and H3 of §6.1). */
function hashToScalar(...parts: readonly Uint8Array[]): bigint {
  return ED25519.scalarFromBytes(reduceScalar(sha512(...parts)));
}

function parseScalar(bytes: Uint8Array, what: string): bigint {
  try {
    return ED25519.scalarFromBytes(bytes);
  } catch (cause) {
    throw new FrostInputError(`${what} is not a canonical scalar`, { cause });
  }
}

/** An identifier: the hex of a non-zero canonical scalar, in exactly its canonical form. */
function parseIdentifier(identifier: Identifier): bigint {
  const value = /^[0-9a-f]{64}$/.test(identifier) ? ED25519.scalarFromBytes(hexToBytes(identifier)) : 0n;
  if (value === 0n) throw new FrostInputError(`"${identifier}" is not a canonical identifier`);
  return value;
}

/** RFC 9591 §4.1 nonce_generate: H3(random_bytes(32) ‖ SerializeScalar(secret)). */
function generateNonce(signingShare: Uint8Array, rng: RNG): Uint8Array<ArrayBuffer> {
  const random = rng(NONCE_RANDOM_BYTES);
  if (random.length !== NONCE_RANDOM_BYTES) throw new FrostInputError(`the nonce randomness must be ${NONCE_RANDOM_BYTES} bytes`);
  return new Uint8Array(ED25519.scalarToBytes(hashToScalar(H3_PREFIX, random, signingShare)));
}

/** RFC 9591 §5.1 commit: fresh hiding and binding nonces and their commitments d·B, e·B. */
export function commit(secret: FrostSecret, rng: RNG = randomBytes): { nonces: Nonces; commitments: NonceCommitments } {
  parseIdentifier(secret.identifier);
  parseScalar(secret.signingShare, 'the signing share');
  const hiding = generateNonce(secret.signingShare, rng);
  const binding = generateNonce(secret.signingShare, rng);
  return {
    nonces: { hiding, binding },
    commitments: { identifier: secret.identifier, hiding: multiplyBase(hiding), binding: multiplyBase(binding) },
  };
}

/** One signer's part of a signing run, as every participant derives it. */
interface SignerTerms {
  readonly hiding: Uint8Array;
  readonly binding: Uint8Array;
  /** ρᵢ (§4.4). */
  readonly bindingFactor: bigint;
  /** λᵢ over the signing set (§4.2). */
  readonly lagrangeCoefficient: bigint;
  /** Dᵢ + ρᵢ·Eᵢ, this signer's term of the group commitment. */
  readonly commitmentShare: Uint8Array;
}

/** What every signing-side computation of one run shares: built by {@link prepareSigning}. */
export interface SigningContext {
  readonly pub: FrostPublic;
  readonly message: Uint8Array;
  /** R (§4.5). */
  readonly groupCommitment: Uint8Array;
  /** c = H2(R ‖ PK ‖ msg) (§4.6). */
  readonly challenge: bigint;
  readonly signers: ReadonlyMap<Identifier, SignerTerms>;
}

function requirePrimeOrder(point: Uint8Array | undefined, what: string): Uint8Array {
  if (point === undefined || !isPrimeOrderPoint(point)) throw new FrostInputError(`${what} is not a prime-order Ed25519 point`);
  return point;
}

function multiplyValidated(point: Uint8Array, scalar: bigint, what: string): Uint8Array {
  try {
    return multiply(point, ED25519.scalarToBytes(scalar));
  } catch (cause) {
    if (cause instanceof Ed25519OperationError) throw new FrostInputError(`${what} is not a prime-order Ed25519 point`, { cause });
    throw cause;
  }
}

/**
 * Binding factors (§4.4), group commitment (§4.5), challenge (§4.6) and Lagrange coefficients
 * (§4.2) of a signing run with group key `pub.commitments[0]`, the signers' `commitmentList` (any
 * order) and `message`, after validating every point in them.
 */
export function prepareSigning(pub: FrostPublic, commitmentList: readonly NonceCommitments[], message: Uint8Array): SigningContext {
  const count = commitmentList.length;
  if (count < pub.signers.min || count > pub.signers.max) {
    throw new FrostInputError(`${count} signers; the key needs between ${pub.signers.min} and ${pub.signers.max}`);
  }
  const groupPublicKey = requirePrimeOrder(pub.commitments[0], 'the group public key');
  const sorted = commitmentList.map((entry) => ({ entry, id: parseIdentifier(entry.identifier) })).sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  for (let i = 1; i < sorted.length; i += 1) {
    if (sorted[i]!.id === sorted[i - 1]!.id) throw new FrostInputError(`identifier ${sorted[i]!.entry.identifier} appears twice in the commitment list`);
  }
  const encodedList = concatBytes(...sorted.flatMap(({ entry, id }) => [ED25519.scalarToBytes(id), entry.hiding, entry.binding]));
  const rhoPrefix = concatBytes(groupPublicKey, sha512(H4_PREFIX, message), sha512(H5_PREFIX, encodedList));

  const signers = new Map<Identifier, SignerTerms>();
  let groupCommitment: Uint8Array | undefined;
  for (const { entry, id } of sorted) {
    const hiding = requirePrimeOrder(entry.hiding, `the hiding commitment of ${entry.identifier}`);
    const bindingFactor = hashToScalar(H1_PREFIX, rhoPrefix, ED25519.scalarToBytes(id));
    const commitmentShare = addPoints(hiding, multiplyValidated(entry.binding, bindingFactor, `the binding commitment of ${entry.identifier}`));
    groupCommitment = groupCommitment === undefined ? commitmentShare : addPoints(groupCommitment, commitmentShare);
    let numerator = Fn.ONE;
    let denominator = Fn.ONE;
    for (const other of sorted) {
      if (other.id === id) continue;
      numerator = Fn.mul(numerator, other.id);
      denominator = Fn.mul(denominator, Fn.sub(other.id, id));
    }
    signers.set(entry.identifier, { hiding, binding: entry.binding, bindingFactor, lagrangeCoefficient: Fn.div(numerator, denominator), commitmentShare });
  }
  if (groupCommitment === undefined) throw new FrostInputError('the commitment list is empty');
  return { pub, message, groupCommitment, challenge: hashToScalar(groupCommitment, groupPublicKey, message), signers };
}

function termsOf(context: SigningContext, identifier: Identifier): SignerTerms {
  const terms = context.signers.get(identifier);
  if (terms === undefined) throw new FrostInputError(`participant ${identifier} has no commitment in the list`);
  return terms;
}

/**
 * RFC 9591 §5.2 sign: zᵢ = dᵢ + eᵢ·ρᵢ + λᵢ·sᵢ·c. Refuses nonces already used (zero) and a list whose
 * entry for this signer is not d·B, e·B; zeroes the nonces in place once the share is made, so a
 * presignature is never signed with twice.
 */
export function signShare(context: SigningContext, secret: FrostSecret, nonces: Nonces): Uint8Array {
  const hiding = parseScalar(nonces.hiding, 'the hiding nonce');
  const binding = parseScalar(nonces.binding, 'the binding nonce');
  if (hiding === 0n || binding === 0n) throw new FrostInputError('the signing nonces were already used');
  const terms = termsOf(context, secret.identifier);
  if (!equalBytes(multiplyBase(nonces.hiding), terms.hiding) || !equalBytes(multiplyBase(nonces.binding), terms.binding)) {
    throw new FrostInputError(`the commitment list holds other commitments for ${secret.identifier} than its nonces`);
  }
  const share = parseScalar(secret.signingShare, 'the signing share');
  const z = Fn.add(Fn.add(hiding, Fn.mul(binding, terms.bindingFactor)), Fn.mul(Fn.mul(terms.lagrangeCoefficient, share), context.challenge));
  nonces.hiding.fill(0);
  nonces.binding.fill(0);
  return ED25519.scalarToBytes(z);
}

/** RFC 9591 §5.4 verify_signature_share: zᵢ·B = Dᵢ + ρᵢ·Eᵢ + (c·λᵢ)·Yᵢ with Yᵢ from `pub.verifyingShares`. */
export function verifyShare(context: SigningContext, identifier: Identifier, share: Uint8Array): boolean {
  const terms = termsOf(context, identifier);
  const verifyingShare = context.pub.verifyingShares[identifier];
  if (verifyingShare === undefined) throw new FrostInputError(`participant ${identifier} has no verifying share`);
  const z = parseScalar(share, 'the signature share');
  const keyTerm = multiplyValidated(verifyingShare, Fn.mul(context.challenge, terms.lagrangeCoefficient), `the verifying share of ${identifier}`);
  return z !== 0n && equalBytes(multiplyBase(share), addPoints(terms.commitmentShare, keyTerm));
}

/**
 * RFC 9591 §5.3 aggregate: R ‖ Σ zᵢ over exactly the list's signers, returned only once it verifies
 * as an Ed25519 signature under the group key — by libsodium's RFC 8032 verification, which shares
 * none of this module's equations (and is ≈ 4× cheaper than Node's, whose key import alone costs
 * more); otherwise {@link FrostAggregateInvalid}, and `verifyShare` tells whose share is wrong.
 */
export function aggregate(context: SigningContext, shares: ReadonlyMap<Identifier, Uint8Array>): Uint8Array {
  if (shares.size !== context.signers.size) throw new FrostInputError(`${shares.size} shares for ${context.signers.size} signers`);
  let z = Fn.ZERO;
  for (const identifier of context.signers.keys()) {
    const share = shares.get(identifier);
    if (share === undefined) throw new FrostInputError(`no share from ${identifier}`);
    z = Fn.add(z, parseScalar(share, `the share of ${identifier}`));
  }
  const signature = concatBytes(context.groupCommitment, ED25519.scalarToBytes(z));
  if (!verifySignature(signature, context.message, context.pub.commitments[0]!)) throw new FrostAggregateInvalid();
  return signature;
}
