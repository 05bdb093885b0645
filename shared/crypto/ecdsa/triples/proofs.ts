/**
 * Fiat–Shamir Maurer proofs on secp256k1 in (commitment, response) form, so that many of them
 * can be verified in one multi-scalar multiplication:
 *
 * - batched dlog: knowledge of x₁ … x_K with Pₖ = xₖ·G, as one Schnorr proof for the statement
 *   P* = Σ ρₖ·Pₖ with ρₖ = H(H(τ, P₁ … P_K), k) (Gennaro–Leigh–Sundaram–Yerazunis 2004 batch proof:
 *   an extractor rewinding over K choices of ρ solves for every xₖ). Commitment R = k·G,
 *   c = H(H(τ, P₁ … P_K), R), s = k + c·Σ ρₖ·xₖ; valid iff s·G = R + c·P*. K = 1 is a plain Schnorr proof.
 * - dlog-eq (Chaum–Pedersen), one per statement: the same x in P = x·G and Q = x·H. R₁ = k·G,
 *   R₂ = k·H, c = H(τ, H, P, Q, R₁, R₂), s = k + c·x; valid iff s·G = R₁ + c·P and s·H = R₂ + c·Q.
 *
 * τ is the caller's transcript (session, agreed commitments, prover, statement kind, index), so
 * a proof cannot be replayed in another run, for another party or another statement.
 * Verification weights every equation with an independent 128-bit random weight chosen by the
 * verifier (small-exponent batch test): a false equation passes with probability ≤ 2⁻¹²⁸.
 * Provers multiply with libsecp256k1's constant-time routines, verifiers with its variable-time
 * ones (public data only).
 */
import { sha256 } from '@noble/hashes/sha2.js';
import { concatBytes } from '@noble/hashes/utils.js';
import { bytesToNumberBE } from '@noble/curves/utils.js';
import { randomScalar, SECP256K1 } from '../../group.js';
import { addPoints, linearCombination, multiplyGenerator, multiplySecret } from '../../native/libsecp256k1.js';
import type { EncodedPoint } from './points.js';

const Fn = SECP256K1.Fn;
const DLOG_DOMAIN = new TextEncoder().encode('chainsig/triples/dlog/v1');
const DLOG_BATCH_DOMAIN = new TextEncoder().encode('chainsig/triples/dlog-batch/v1');
const DLOG_EQ_DOMAIN = new TextEncoder().encode('chainsig/triples/dlog-eq/v1');

export interface DlogProof {
  readonly commitment: EncodedPoint;
  readonly response: bigint;
}

export interface DlogEqProof {
  readonly commitment1: EncodedPoint;
  readonly commitment2: EncodedPoint;
  readonly response: bigint;
}

function challenge(domain: Uint8Array, transcript: Uint8Array, points: readonly EncodedPoint[]): bigint {
  const input = new Uint8Array(domain.length + 4 + transcript.length + 65 * points.length);
  input.set(domain);
  new DataView(input.buffer).setUint32(domain.length, transcript.length, true);
  input.set(transcript, domain.length + 4);
  points.forEach((bytes, i) => input.set(bytes, domain.length + 4 + transcript.length + 65 * i));
  return Fn.create(bytesToNumberBE(sha256(input)));
}

/**
 * The statement digest H(τ, P₁ … P_K) and ρ₁ … ρ_K (128-bit) of a batched dlog statement. The
 * challenge hashes the digest instead of P*, so verifiers never need P* as a point.
 */
function batchWeights(transcript: Uint8Array, statements: readonly EncodedPoint[]): { digest: Uint8Array; weights: bigint[] } {
  const digest = sha256(concatBytes(DLOG_BATCH_DOMAIN, transcript, ...statements));
  const weights = statements.map((_, k) => {
    const input = new Uint8Array(36);
    input.set(digest);
    new DataView(input.buffer).setUint32(32, k, true);
    return bytesToNumberBE(sha256(input).subarray(0, 16));
  });
  return { digest, weights };
}

/** One proof of knowledge of every secrets[k] = log_G statements[k]. */
export function proveDlogs(
  transcript: Uint8Array,
  secrets: readonly bigint[],
  statements: readonly EncodedPoint[],
  rng: (length: number) => Uint8Array,
): DlogProof {
  if (secrets.length !== statements.length || secrets.length === 0) throw new RangeError('one secret per statement expected');
  const { digest, weights } = batchWeights(transcript, statements);
  const combinedSecret = secrets.reduce((sum, secret, k) => Fn.add(sum, Fn.mul(weights[k]!, secret)), 0n);
  const nonce = randomScalar(Fn, rng);
  const commitment = multiplyGenerator(nonce);
  const c = challenge(DLOG_DOMAIN, digest, [commitment]);
  return { commitment, response: Fn.add(nonce, Fn.mul(c, combinedSecret)) };
}

export function proveDlogEq(
  transcript: Uint8Array,
  secret: bigint,
  base2: EncodedPoint,
  statement1: EncodedPoint,
  statement2: EncodedPoint,
  rng: (length: number) => Uint8Array,
): DlogEqProof {
  const nonce = randomScalar(Fn, rng);
  const commitment1 = multiplyGenerator(nonce);
  const commitment2 = multiplySecret(base2, nonce);
  const c = challenge(DLOG_EQ_DOMAIN, transcript, [base2, statement1, statement2, commitment1, commitment2]);
  return { commitment1, commitment2, response: Fn.add(nonce, Fn.mul(c, secret)) };
}

/**
 * Accumulates equations Σ scalarᵢ·Pointᵢ = 0, each under its own random weight, and checks them
 * all at once: one multiplication per distinct point, one sum. A point that appears in several
 * equations (the same object) is multiplied once, by the summed scalar. Only for public data: the
 * multiplications are variable time.
 */
export class LinearCheck {
  private readonly terms = new Map<EncodedPoint, bigint>();
  private baseScalar = 0n;

  constructor(private readonly rng: (length: number) => Uint8Array) {}

  /** A fresh 128-bit weight for one equation. */
  weight(): bigint {
    return bytesToNumberBE(this.rng(16));
  }

  addTerm(point: EncodedPoint, scalar: bigint): void {
    this.terms.set(point, Fn.add(this.terms.get(point) ?? 0n, Fn.create(scalar)));
  }

  addBase(scalar: bigint): void {
    this.baseScalar = Fn.add(this.baseScalar, Fn.create(scalar));
  }

  holds(): boolean {
    return LinearCheck.allHold([this]);
  }

  /** Whether every equation of every check holds: Σ over their union is the identity. */
  static allHold(checks: readonly LinearCheck[]): boolean {
    const merged = new Map<EncodedPoint, bigint>();
    let baseScalar = 0n;
    for (const check of checks) {
      baseScalar = Fn.add(baseScalar, check.baseScalar);
      for (const [point, scalar] of check.terms) merged.set(point, Fn.add(merged.get(point) ?? 0n, scalar));
    }
    const sum = linearCombination([...merged.keys()], [...merged.values()]);
    const terms = [...(sum === undefined ? [] : [sum]), ...(baseScalar === 0n ? [] : [multiplyGenerator(baseScalar)])];
    return addPoints(terms) === undefined;
  }

  /** Adds the weighted equation s·G − R − c·Σ ρₖ·Pₖ = 0 of a batched dlog proof. */
  addDlogs(transcript: Uint8Array, statements: readonly EncodedPoint[], proof: DlogProof): void {
    const { digest, weights } = batchWeights(transcript, statements);
    const c = challenge(DLOG_DOMAIN, digest, [proof.commitment]);
    const rho = this.weight();
    this.addBase(rho * proof.response);
    this.addTerm(proof.commitment, -rho);
    const rhoC = Fn.create(rho * c);
    statements.forEach((statement, k) => this.addTerm(statement, -rhoC * weights[k]!));
  }

  /** Adds both weighted equations of a dlog-eq proof. */
  addDlogEq(transcript: Uint8Array, base2: EncodedPoint, statement1: EncodedPoint, statement2: EncodedPoint, proof: DlogEqProof): void {
    const c = challenge(DLOG_EQ_DOMAIN, transcript, [base2, statement1, statement2, proof.commitment1, proof.commitment2]);
    const rho1 = this.weight();
    const rho2 = this.weight();
    this.addBase(rho1 * proof.response);
    this.addTerm(proof.commitment1, -rho1);
    this.addTerm(statement1, -rho1 * c);
    this.addTerm(base2, rho2 * proof.response);
    this.addTerm(proof.commitment2, -rho2);
    this.addTerm(statement2, -rho2 * c);
  }
}
