/**
 * The output of presign (presign.ts) and input of sign (sign.ts), and its versioned storage
 * encoding. A presignature is single use: the store takes it atomically before any share derived
 * from it leaves the node (security invariant 2), and it is stored encrypted (invariant 3); this
 * file only turns it into bytes and back.
 */
import { ByteReader, ByteWriter, readAscendingIds } from '../../codec/binary.js';
import type { ParticipantId } from '../protocol.js';
import { COMPRESSED_POINT_BYTES, readPointBytes, readScalar, UNCOMPRESSED_POINT_BYTES, writeScalar } from './messages.js';

/**
 * What every presign participant published about its own λ-weighted shares. The sign coordinator
 * uses it only when an aggregated signature fails to verify, to compute each participant's expected
 * sᵢ·G and name the one whose share differs.
 */
export interface PresignParticipantCommitments {
  /** The participant's opening of k + a: k′ⱼ + a′ⱼ, so k′ⱼ·G = kaShare·G − aCommitment. */
  readonly kaShare: bigint;
  /** a′ⱼ·G, uncompressed (65 bytes). */
  readonly aCommitment: Uint8Array;
  /** c′ⱼ·G, uncompressed (65 bytes). */
  readonly cCommitment: Uint8Array;
  /** xⱼ·G, the participant's (unweighted) public key share, compressed, from the key share. */
  readonly keyVerifyingShare: Uint8Array;
}

/**
 * One participant's share of a presignature (R, k, σ = k·x). The shares of k and σ are additive
 * over exactly `participants` (the Lagrange weights are already applied), so the signing set is the
 * presign set: a quorum with a different member cannot use it.
 */
export interface PresignatureShare {
  /** The presign participants, ascending; exactly these sign with it. */
  readonly participants: readonly ParticipantId[];
  readonly me: ParticipantId;
  /** The root public key x·G (before any derivation tweak), compressed. */
  readonly publicKey: Uint8Array;
  /**
   * R = k⁻¹·G before the per-request rerandomisation, uncompressed (65 bytes): every signer decodes
   * it, and the uncompressed form spares each of them a square root.
   */
  readonly bigR: Uint8Array;
  /** This participant's additive share of k. Secret. */
  readonly k: bigint;
  /** This participant's additive share of σ = k·x. Secret. */
  readonly sigma: bigint;
  /** The opened k + a and x + b (public). */
  readonly ka: bigint;
  readonly xb: bigint;
  /** Every participant's published commitments, keyed by participant. */
  readonly commitments: ReadonlyMap<ParticipantId, PresignParticipantCommitments>;
}

/** Version byte of the storage record; a record with another version is refused, never misread. */
export const PRESIGNATURE_RECORD_VERSION = 1;
/** A bound on the participant count read from a record, so a corrupt count cannot exhaust memory. */
export const MAX_PRESIGN_PARTICIPANTS = 1024;

export function encodePresignatureShare(share: PresignatureShare): Uint8Array {
  const writer = new ByteWriter(256 + share.participants.length * 200).u8(PRESIGNATURE_RECORD_VERSION).u32(share.me);
  writer.u32(share.participants.length);
  for (const id of share.participants) writer.u32(id);
  writer.fixed(share.publicKey).fixed(share.bigR);
  for (const scalar of [share.k, share.sigma, share.ka, share.xb]) writeScalar(writer, scalar);
  for (const id of share.participants) {
    const commitments = share.commitments.get(id);
    if (commitments === undefined) throw new RangeError(`presignature has no commitments for participant ${id}`);
    writeScalar(writer, commitments.kaShare);
    writer.fixed(commitments.aCommitment).fixed(commitments.cCommitment).fixed(commitments.keyVerifyingShare);
  }
  return writer.finish();
}

/** Reads a stored presignature share; throws {@link import('../errors.js').DecodeError} on any defect. */
export function decodePresignatureShare(data: Uint8Array): PresignatureShare {
  const reader = new ByteReader(data, 'ecdsa presignature record');
  const version = reader.u8();
  if (version !== PRESIGNATURE_RECORD_VERSION) reader.fail(`record version ${version}, expected ${PRESIGNATURE_RECORD_VERSION}`);
  const me = reader.u32();
  const participants: ParticipantId[] = readAscendingIds(reader, MAX_PRESIGN_PARTICIPANTS);
  if (!participants.includes(me)) reader.fail(`participant ${me} is not in the presign set`);
  const publicKey = readPointBytes(reader, COMPRESSED_POINT_BYTES);
  const bigR = readPointBytes(reader, UNCOMPRESSED_POINT_BYTES);
  const k = readScalar(reader);
  const sigma = readScalar(reader);
  const ka = readScalar(reader);
  const xb = readScalar(reader);
  const commitments = new Map<ParticipantId, PresignParticipantCommitments>();
  for (const id of participants) {
    commitments.set(id, {
      kaShare: readScalar(reader),
      aCommitment: readPointBytes(reader, UNCOMPRESSED_POINT_BYTES),
      cCommitment: readPointBytes(reader, UNCOMPRESSED_POINT_BYTES),
      keyVerifyingShare: readPointBytes(reader, COMPRESSED_POINT_BYTES),
    });
  }
  reader.end();
  return { participants, me, publicKey, bigR, k, sigma, ka, xb, commitments };
}
