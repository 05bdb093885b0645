/**
 * Wire format of every triple-generation message: the shared versioned header (version, tag),
 * then a fixed layout whose sizes follow from the run parameters (batch size M, threshold t,
 * the pair's OT roles), so decoders know every length in advance and reject anything else.
 * Scalars are 32 bytes big-endian and must be canonical; points are 65-byte uncompressed.
 */
import { ByteReader, ByteWriter, readHeader, writeHeader } from '../../../codec/binary.js';
import { DecodeError } from '../../errors.js';
import { SECP256K1 } from '../../group.js';
import { BASE_OT_COUNT } from './bit-matrix.js';
import { SEED_BYTES } from './aes.js';
import { MTA_OTS, SCALAR_BYTES } from './mta.js';
import { CHECK_BYTES, correctionBytes } from './ot-extension.js';
import { POINT_BYTES, readPoint, type EncodedPoint } from './points.js';
import type { DlogEqProof, DlogProof } from './proofs.js';
import { readUint256 } from '../../scalar-bytes.js';

/** Message tags: broadcasts are named after their round, private messages after their content. */
export const Tag = {
  commitmentHash: 1,
  commitmentOpening: 2,
  productCommitments: 3,
  multiplicationCommitments: 4,
  baseOtSenderPoint: 16,
  sharesAndBaseOtReceiverPoints: 17,
  otCorrection: 18,
  otChallenge: 19,
  otCheckAnswer: 20,
  mtaCorrections: 21,
  mtaCoefficients: 22,
  productShares: 23,
} as const;
export type Tag = (typeof Tag)[keyof typeof Tag];
export const ALL_TAGS: readonly Tag[] = Object.values(Tag);

const HASH_BYTES = 32;

/** The sizes every decoder needs. */
export interface RunShape {
  readonly batchSize: number;
  readonly threshold: number;
}

/** Random OTs one pair runs: two MTAs (a·b′ and b·a′) per triple. */
export function pairOtCount(batchSize: number): number {
  return 2 * batchSize * MTA_OTS;
}

function writer(tag: Tag, capacity: number): ByteWriter {
  return writeHeader(new ByteWriter(capacity + 2), tag);
}

function reader(data: Uint8Array, tag: Tag, what: string): ByteReader {
  const r = new ByteReader(data, what);
  readHeader(r, [tag]);
  return r;
}

function writeScalar(w: ByteWriter, scalar: bigint): void {
  w.fixed(SECP256K1.scalarToBytes(scalar));
}

function readScalar(r: ByteReader): bigint {
  const bytes = r.fixed(SCALAR_BYTES);
  try {
    return SECP256K1.scalarFromBytes(bytes);
  } catch {
    return r.fail('scalar is not below the group order');
  }
}

function writePoints(w: ByteWriter, points: readonly EncodedPoint[]): void {
  for (const point of points) {
    if (point.length !== POINT_BYTES) throw new RangeError(`points travel uncompressed, ${POINT_BYTES} bytes`);
    w.fixed(point);
  }
}

function readPoints(r: ByteReader, count: number): EncodedPoint[] {
  const points: EncodedPoint[] = [];
  for (let i = 0; i < count; i += 1) points.push(readPoint(r));
  return points;
}

function readScalars(r: ByteReader, count: number): bigint[] {
  const scalars: bigint[] = [];
  for (let i = 0; i < count; i += 1) scalars.push(readScalar(r));
  return scalars;
}

/** The tag of a message, after checking the header (throws DecodeError). */
export function peekTag(data: Uint8Array): Tag {
  return readHeader(new ByteReader(data, 'triples/header'), ALL_TAGS) as Tag;
}

// Round 1 broadcast: hash commitment to the party's polynomial commitments.
export function encodeCommitmentHash(hash: Uint8Array): Uint8Array {
  return writer(Tag.commitmentHash, HASH_BYTES).fixed(hash).finish();
}
export function decodeCommitmentHash(data: Uint8Array): Uint8Array {
  const r = reader(data, Tag.commitmentHash, 'triples/commitment-hash');
  const hash = r.fixed(HASH_BYTES);
  r.end();
  return hash;
}

/**
 * The polynomial commitments of one party for the whole batch, triple by triple: E (t points),
 * F (t points), L without its constant term (t − 1 points, L(0) = 0 by construction).
 */
export interface PolynomialCommitments {
  readonly e: EncodedPoint[][];
  readonly f: EncodedPoint[][];
  /** L's coefficients 1 … t − 1. */
  readonly l: EncodedPoint[][];
}

/** The canonical encoding of a party's commitments (what its round-1 hash covers). */
export function encodeCommitments(commitments: PolynomialCommitments): Uint8Array {
  const points: EncodedPoint[] = [];
  commitments.e.forEach((e, m) => points.push(...e, ...commitments.f[m]!, ...commitments.l[m]!));
  const w = new ByteWriter(points.length * 65);
  writePoints(w, points);
  return w.finish();
}

function readCommitments(r: ByteReader, shape: RunShape): PolynomialCommitments {
  const e: EncodedPoint[][] = [];
  const f: EncodedPoint[][] = [];
  const l: EncodedPoint[][] = [];
  for (let m = 0; m < shape.batchSize; m += 1) {
    e.push(readPoints(r, shape.threshold));
    f.push(readPoints(r, shape.threshold));
    l.push(readPoints(r, shape.threshold - 1));
  }
  return { e, f, l };
}

// Round 2 broadcast: confirmation of everyone's round-1 hashes, the opening, and one batched
// proof of knowledge of every e(0) and f(0) (statements E(0) of all triples, then F(0)).
export interface CommitmentOpening {
  readonly confirmation: Uint8Array;
  readonly randomizer: Uint8Array;
  /** Exactly the bytes the round-1 hash covers. */
  readonly encodedCommitments: Uint8Array;
  readonly commitments: PolynomialCommitments;
  readonly proof: DlogProof;
}

function writeDlogProof(w: ByteWriter, proof: DlogProof): void {
  writePoints(w, [proof.commitment]);
  writeScalar(w, proof.response);
}

function readDlogProof(r: ByteReader): DlogProof {
  const commitment = readPoint(r);
  return { commitment, response: readScalar(r) };
}

export function encodeCommitmentOpening(opening: Omit<CommitmentOpening, 'commitments'>): Uint8Array {
  const w = writer(Tag.commitmentOpening, 2 * HASH_BYTES + opening.encodedCommitments.length + 97);
  w.fixed(opening.confirmation).fixed(opening.randomizer).fixed(opening.encodedCommitments);
  writeDlogProof(w, opening.proof);
  return w.finish();
}

export function decodeCommitmentOpening(data: Uint8Array, shape: RunShape): CommitmentOpening {
  const r = reader(data, Tag.commitmentOpening, 'triples/commitment-opening');
  const confirmation = r.fixed(HASH_BYTES);
  const randomizer = r.fixed(HASH_BYTES);
  const start = r.position;
  const commitments = readCommitments(r, shape);
  const encodedCommitments = data.slice(start, r.position);
  const proof = readDlogProof(r);
  r.end();
  return { confirmation, randomizer, encodedCommitments, commitments, proof };
}

// Round 3 broadcast: Cᵢ = eᵢ(0)·F(0) per triple, with a dlog-eq proof against Eᵢ(0).
export interface ProductCommitments {
  readonly products: EncodedPoint[];
  readonly proofs: DlogEqProof[];
}

export function encodeProductCommitments(message: ProductCommitments): Uint8Array {
  const w = writer(Tag.productCommitments, message.products.length * (3 * 65 + 32));
  writePoints(w, [...message.products, ...message.proofs.flatMap((proof) => [proof.commitment1, proof.commitment2])]);
  for (const proof of message.proofs) writeScalar(w, proof.response);
  return w.finish();
}

export function decodeProductCommitments(data: Uint8Array, shape: RunShape): ProductCommitments {
  const r = reader(data, Tag.productCommitments, 'triples/product-commitments');
  const products = readPoints(r, shape.batchSize);
  const proofPoints = readPoints(r, 2 * shape.batchSize);
  const proofs = products.map((_, m) => ({ commitment1: proofPoints[2 * m]!, commitment2: proofPoints[2 * m + 1]!, response: readScalar(r) }));
  r.end();
  return { products, proofs };
}

// Final broadcast: Ĉᵢ = cᵢ·G for the additive product shares cᵢ, with one batched dlog proof.
export interface MultiplicationCommitments {
  readonly commitments: EncodedPoint[];
  readonly proof: DlogProof;
}

export function encodeMultiplicationCommitments(message: MultiplicationCommitments): Uint8Array {
  const w = writer(Tag.multiplicationCommitments, message.commitments.length * 65 + 97);
  writePoints(w, message.commitments);
  writeDlogProof(w, message.proof);
  return w.finish();
}

export function decodeMultiplicationCommitments(data: Uint8Array, shape: RunShape): MultiplicationCommitments {
  const r = reader(data, Tag.multiplicationCommitments, 'triples/multiplication-commitments');
  const commitments = readPoints(r, shape.batchSize);
  const proof = readDlogProof(r);
  r.end();
  return { commitments, proof };
}

// Private, OT-extension receiver → sender: the base-OT sender point Y.
export function encodeBaseOtSenderPoint(point: EncodedPoint): Uint8Array {
  const w = writer(Tag.baseOtSenderPoint, 65);
  writePoints(w, [point]);
  return w.finish();
}
export function decodeBaseOtSenderPoint(data: Uint8Array): EncodedPoint {
  const r = reader(data, Tag.baseOtSenderPoint, 'triples/base-ot-sender-point');
  const point = readPoint(r);
  r.end();
  return point;
}

// Private, everyone → everyone: shares e(j), f(j) per triple; plus the base-OT receiver points
// when the sender is the OT-extension sender of the pair.
export interface SharesAndBaseOt {
  readonly eShares: bigint[];
  readonly fShares: bigint[];
  readonly baseOtPoints?: EncodedPoint[];
}

export function encodeSharesAndBaseOt(message: SharesAndBaseOt): Uint8Array {
  const w = writer(Tag.sharesAndBaseOtReceiverPoints, message.eShares.length * 64 + BASE_OT_COUNT * 65);
  for (const share of message.eShares) writeScalar(w, share);
  for (const share of message.fShares) writeScalar(w, share);
  if (message.baseOtPoints !== undefined) writePoints(w, message.baseOtPoints);
  return w.finish();
}

export function decodeSharesAndBaseOt(data: Uint8Array, shape: RunShape, withBaseOtPoints: boolean): SharesAndBaseOt {
  const r = reader(data, Tag.sharesAndBaseOtReceiverPoints, 'triples/shares');
  const eShares = readScalars(r, shape.batchSize);
  const fShares = readScalars(r, shape.batchSize);
  const baseOtPoints = withBaseOtPoints ? readPoints(r, BASE_OT_COUNT) : undefined;
  r.end();
  return { eShares, fShares, ...(baseOtPoints === undefined ? {} : { baseOtPoints }) };
}

// Private OT-extension flights: U, the challenge key, the check answer.
function encodeFixed(tag: Tag, bytes: Uint8Array): Uint8Array {
  return writer(tag, bytes.length).fixed(bytes).finish();
}
function decodeFixed(data: Uint8Array, tag: Tag, length: number, what: string): Uint8Array {
  const r = reader(data, tag, what);
  const bytes = r.fixed(length);
  r.end();
  return bytes;
}

export const encodeOtCorrection = (correction: Uint8Array): Uint8Array => encodeFixed(Tag.otCorrection, correction);
export const decodeOtCorrection = (data: Uint8Array, shape: RunShape): Uint8Array =>
  decodeFixed(data, Tag.otCorrection, correctionBytes(pairOtCount(shape.batchSize)), 'triples/ot-correction');
export const encodeOtChallenge = (challenge: Uint8Array): Uint8Array => encodeFixed(Tag.otChallenge, challenge);
export const decodeOtChallenge = (data: Uint8Array): Uint8Array => decodeFixed(data, Tag.otChallenge, 16, 'triples/ot-challenge');
export const encodeOtCheckAnswer = (answer: Uint8Array): Uint8Array => encodeFixed(Tag.otCheckAnswer, answer);
export const decodeOtCheckAnswer = (data: Uint8Array): Uint8Array => decodeFixed(data, Tag.otCheckAnswer, CHECK_BYTES, 'triples/ot-check-answer');

// Private, MTA sender → receiver: one correction scalar per OT, kept as raw canonical bytes.
export const encodeMtaCorrections = (corrections: Uint8Array): Uint8Array => encodeFixed(Tag.mtaCorrections, corrections);
export function decodeMtaCorrections(data: Uint8Array, shape: RunShape): Uint8Array {
  const corrections = decodeFixed(data, Tag.mtaCorrections, pairOtCount(shape.batchSize) * SCALAR_BYTES, 'triples/mta-corrections');
  // q's top 64 bits are all ones: a scalar whose top 8 bytes are not is canonical, so the 256-bit
  // comparison is only needed for the rare rest (tens of thousands of scalars per message).
  const view = new DataView(corrections.buffer, corrections.byteOffset, corrections.length);
  for (let at = 0; at < corrections.length; at += SCALAR_BYTES) {
    if (view.getUint32(at) !== 0xffffffff || view.getUint32(at + 4) !== 0xffffffff) continue;
    if (readUint256(corrections, at) >= SECP256K1.Fn.ORDER) throw new DecodeError('triples/mta-corrections', 2 + at, 'scalar is not below the group order');
  }
  return corrections;
}

// Private, MTA receiver → sender: the coefficient seed and g₁ of every MTA instance.
export interface MtaCoefficients {
  readonly seed: Uint8Array;
  readonly firstCoefficients: bigint[];
}
export function encodeMtaCoefficients(message: MtaCoefficients): Uint8Array {
  const w = writer(Tag.mtaCoefficients, SEED_BYTES + message.firstCoefficients.length * SCALAR_BYTES).fixed(message.seed);
  for (const coefficient of message.firstCoefficients) writeScalar(w, coefficient);
  return w.finish();
}
export function decodeMtaCoefficients(data: Uint8Array, shape: RunShape): MtaCoefficients {
  const r = reader(data, Tag.mtaCoefficients, 'triples/mta-coefficients');
  const seed = r.fixed(SEED_BYTES);
  const firstCoefficients = readScalars(r, 2 * shape.batchSize);
  r.end();
  return { seed, firstCoefficients };
}

// Private, everyone → everyone: lᵢ(j) + cᵢ per triple, j's share of the product polynomial.
export function encodeProductShares(shares: readonly bigint[]): Uint8Array {
  const w = writer(Tag.productShares, shares.length * SCALAR_BYTES);
  for (const share of shares) writeScalar(w, share);
  return w.finish();
}
export function decodeProductShares(data: Uint8Array, shape: RunShape): bigint[] {
  const r = reader(data, Tag.productShares, 'triples/product-shares');
  const shares = readScalars(r, shape.batchSize);
  r.end();
  return shares;
}
