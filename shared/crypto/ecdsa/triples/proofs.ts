/**
 * Fiat–Shamir Maurer proofs on secp256k1 in (commitment, response) form, so that many of them
 * can be verified in one multi-scalar multiplication:
 *
 * - dlog: knowledge of x with P = x·G. Commitment R = k·G, c = H(τ, P, R), s = k + c·x; valid iff
 *   s·G = R + c·P.
 * - dlog-eq (Chaum–Pedersen): the same x in P = x·G and Q = x·H. R₁ = k·G, R₂ = k·H,
 *   c = H(τ, H, P, Q, R₁, R₂), s = k + c·x; valid iff s·G = R₁ + c·P and s·H = R₂ + c·Q.
 *
 * τ is the caller's transcript (session, agreed commitments, prover, triple index, statement
 * kind), so a proof cannot be replayed in another run, for another party or another triple.
 * Batch verification weights every equation with an independent 128-bit random ρ chosen by the
 * verifier (small-exponent test): a false proof passes with probability ≤ 2⁻¹²⁸.
 */
import { pippenger } from '@noble/curves/abstract/curve.js';
import { secp256k1 } from '@noble/curves/secp256k1.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToNumberBE } from '@noble/curves/utils.js';
import { randomScalar, SECP256K1 } from '../../group.js';
import type { Secp256k1Point } from '../../kdf.js';

const Fn = SECP256K1.Fn;
const DLOG_DOMAIN = new TextEncoder().encode('chainsig/triples/dlog/v1');
const DLOG_EQ_DOMAIN = new TextEncoder().encode('chainsig/triples/dlog-eq/v1');

export interface DlogProof {
  readonly commitment: Secp256k1Point;
  readonly response: bigint;
}

export interface DlogEqProof {
  readonly commitment1: Secp256k1Point;
  readonly commitment2: Secp256k1Point;
  readonly response: bigint;
}

function challenge(domain: Uint8Array, transcript: Uint8Array, points: readonly Secp256k1Point[]): bigint {
  const encoded = points.map((point) => point.toBytes(false));
  const input = new Uint8Array(domain.length + 4 + transcript.length + 65 * encoded.length);
  input.set(domain);
  new DataView(input.buffer).setUint32(domain.length, transcript.length, true);
  input.set(transcript, domain.length + 4);
  encoded.forEach((bytes, i) => input.set(bytes, domain.length + 4 + transcript.length + 65 * i));
  return Fn.create(bytesToNumberBE(sha256(input)));
}

export function proveDlog(
  transcript: Uint8Array,
  secret: bigint,
  statement: Secp256k1Point,
  rng: (length: number) => Uint8Array,
): DlogProof {
  const nonce = randomScalar(Fn, rng);
  const commitment = SECP256K1.scaleBase(nonce);
  const c = challenge(DLOG_DOMAIN, transcript, [statement, commitment]);
  return { commitment, response: Fn.add(nonce, Fn.mul(c, secret)) };
}

export function proveDlogEq(
  transcript: Uint8Array,
  secret: bigint,
  base2: Secp256k1Point,
  statement1: Secp256k1Point,
  statement2: Secp256k1Point,
  rng: (length: number) => Uint8Array,
): DlogEqProof {
  const nonce = randomScalar(Fn, rng);
  const commitment1 = SECP256K1.scaleBase(nonce);
  const commitment2 = SECP256K1.scale(base2, nonce);
  const c = challenge(DLOG_EQ_DOMAIN, transcript, [base2, statement1, statement2, commitment1, commitment2]);
  return { commitment1, commitment2, response: Fn.add(nonce, Fn.mul(c, secret)) };
}

/**
 * Accumulates equations Σ scalarᵢ·Pointᵢ = 0 and checks their random linear combination with
 * one MSM. Only for public data: the MSM is not constant time.
 */
export class LinearCheck {
  private readonly points: Secp256k1Point[] = [];
  private readonly scalars: bigint[] = [];
  private baseScalar = 0n;

  constructor(private readonly rng: (length: number) => Uint8Array) {}

  /** A fresh 128-bit weight for one equation. */
  weight(): bigint {
    return bytesToNumberBE(this.rng(16));
  }

  addTerm(point: Secp256k1Point, scalar: bigint): void {
    this.points.push(point);
    this.scalars.push(Fn.create(scalar));
  }

  addBase(scalar: bigint): void {
    this.baseScalar = Fn.add(this.baseScalar, Fn.create(scalar));
  }

  holds(): boolean {
    const sum = pippenger(secp256k1.Point, [...this.points, SECP256K1.generator], [...this.scalars, this.baseScalar]);
    return sum.is0();
  }

  /** Adds the weighted equation s·G − R − c·P = 0 of a dlog proof. */
  addDlog(transcript: Uint8Array, statement: Secp256k1Point, proof: DlogProof): void {
    const c = challenge(DLOG_DOMAIN, transcript, [statement, proof.commitment]);
    const rho = this.weight();
    this.addBase(rho * proof.response);
    this.addTerm(proof.commitment, -rho);
    this.addTerm(statement, -rho * c);
  }

  /** Adds both weighted equations of a dlog-eq proof. */
  addDlogEq(transcript: Uint8Array, base2: Secp256k1Point, statement1: Secp256k1Point, statement2: Secp256k1Point, proof: DlogEqProof): void {
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
