/**
 * FROST nonce pre-commitment (RFC 9591 §5.1 run ahead of time): a signing set exchanges round-1
 * commitments before any message is known, so that signing later is a single message from each
 * signer to the coordinator.
 *
 * An {@link EddsaPresignature} follows the same single-use rules as an ECDSA presignature: it is
 * taken atomically from the store (conditional delete) before the signature share made with it
 * leaves the node, and it is never used twice. Two shares from the same nonces on different
 * messages reveal the signing share. It is only usable with exactly the participants it was made
 * for, and like every stored asset it is encrypted at rest and dropped when the key is reshared.
 */
import type { RNG } from '@noble/curves/abstract/frost.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { equalBytes } from '@noble/curves/utils.js';
import { ByteReader, ByteWriter, readHeader, writeHeader } from '../../codec/binary.js';
import { ED25519 } from '../group.js';
import type { Action, ParticipantId } from '../protocol.js';
import type { KeyShare } from '../key-share.js';
import { toFrostKeyPackage, type FrostKeyPackage } from '../keygen/index.js';
import {
  encodeEddsaMessage,
  readCommitmentList,
  readScalar,
  writeCommitmentList,
  type CommitmentList,
  type EddsaMessage,
  type NonceCommitmentPair,
} from './messages.js';
import { checkSigningSet, commitNonces, FrostSession, noncesUsed, type SigningNonces } from './session.js';

/** One participant's pre-committed round-1 state for one future signature by one signing set. */
export interface EddsaPresignature {
  readonly me: ParticipantId;
  /** Secret and single use; `signShare` zeroes them in place when a share is made with them. */
  readonly nonces: SigningNonces;
  /** Every signer's commitments, the same list at every participant (checked by an echo round). */
  readonly commitments: CommitmentList;
}

export interface EddsaPresignOptions {
  /** This participant's share of the root key (before any tweak): hedges the nonces. */
  readonly keyShare: KeyShare;
  /** The signing set the presignature will serve, this participant included. */
  readonly participants: readonly ParticipantId[];
  /**
   * Test-only: the randomness behind the nonces, for known-answer tests. Production leaves it unset
   * (system CSPRNG); a repeating source would repeat nonces and leak the key share.
   */
  readonly rng?: RNG;
}

const PROTOCOL = 'eddsa-presign';

function commitmentListDigest(list: CommitmentList): Uint8Array {
  const writer = new ByteWriter();
  writeCommitmentList(writer, list);
  return sha256(writer.finish());
}

/**
 * Round 1: every participant broadcasts fresh commitments. Round 2: every participant broadcasts
 * the SHA-256 of the list it received, and all must match — a participant who sent different
 * commitments to different peers would otherwise make honest shares fail verification at signing
 * time and get honest signers blamed. The echo costs one offline round and nothing online.
 */
export class EddsaPresignProtocol extends FrostSession<EddsaPresignature> {
  private readonly key: FrostKeyPackage;
  private readonly rng: RNG | undefined;
  private nonces: SigningNonces | undefined;
  private readonly commitments = new Map<ParticipantId, NonceCommitmentPair>();
  private ownDigest: Uint8Array | undefined;
  private readonly digests = new Map<ParticipantId, Uint8Array>();

  constructor(options: EddsaPresignOptions) {
    const participants = checkSigningSet(PROTOCOL, options.keyShare, options.participants);
    super(PROTOCOL, options.keyShare.me, participants);
    this.key = toFrostKeyPackage(options.keyShare);
    this.rng = options.rng;
  }

  protected advance(): Action<EddsaPresignature> {
    if (this.nonces === undefined) {
      const own = commitNonces(this.key, this.rng);
      this.nonces = own.nonces;
      this.commitments.set(this.me, own.commitments);
      return { kind: 'send-many', data: encodeEddsaMessage({ kind: 'commitments', commitments: own.commitments }) };
    }
    if (this.commitments.size < this.participants.length) return { kind: 'wait' };
    if (this.ownDigest === undefined) {
      this.ownDigest = commitmentListDigest(this.commitments);
      return { kind: 'send-many', data: encodeEddsaMessage({ kind: 'commitment-digest', digest: this.ownDigest }) };
    }
    if (this.digests.size < this.participants.length - 1) return { kind: 'wait' };
    for (const [participant, digest] of this.digests) {
      if (!equalBytes(digest, this.ownDigest)) {
        // Either that participant lies about its view or someone equivocated; the echo cannot tell which.
        throw this.abort('round-2/echo', `participant ${participant} received a different commitment list`);
      }
    }
    return { kind: 'return', output: { me: this.me, nonces: this.nonces, commitments: new Map(this.commitments) } };
  }

  protected receive(from: ParticipantId, message: EddsaMessage): void {
    if (message.kind === 'commitments') {
      if (this.commitments.has(from)) throw this.abort('round-1/commitments', 'duplicate commitments', from);
      this.commitments.set(from, message.commitments);
    } else if (message.kind === 'commitment-digest') {
      if (this.digests.has(from)) throw this.abort('round-2/echo', 'duplicate commitment digest', from);
      this.digests.set(from, message.digest);
    } else {
      throw this.abort('receive', `unexpected ${message.kind} message`, from);
    }
  }
}

/** Storage tag of an encoded presignature (outside the message tag range, so neither decodes as the other). */
const PRESIGNATURE_TAG = 0x10;

/** Compact, versioned encoding for the (encrypted) asset store. Refuses a presignature already used. */
export function encodeEddsaPresignature(presignature: EddsaPresignature): Uint8Array {
  const { hiding, binding } = presignature.nonces;
  if (hiding.length !== ED25519.scalarBytes || binding.length !== ED25519.scalarBytes) throw new RangeError('nonces must be 32-byte scalars');
  if (noncesUsed(presignature.nonces)) throw new RangeError('presignature nonces were already used');
  const writer = writeHeader(new ByteWriter(), PRESIGNATURE_TAG).u32(presignature.me);
  writeCommitmentList(writer, presignature.commitments);
  return writer.fixed(hiding).fixed(binding).finish();
}

/** Throws {@link DecodeError} on malformed bytes, a used (zeroed) nonce, or a holder outside the set. */
export function decodeEddsaPresignature(data: Uint8Array): EddsaPresignature {
  const reader = new ByteReader(data, 'eddsa presignature');
  readHeader(reader, [PRESIGNATURE_TAG]);
  const me = reader.u32();
  // The list was checked in full when it was received; the record comes from our own encrypted store.
  const commitments = readCommitmentList(reader, 'encoding');
  if (commitments.size < 2) reader.fail(`a signing set of ${commitments.size} participants`);
  if (!commitments.has(me)) reader.fail(`holder ${me} is not in the signing set`);
  const hiding = readScalar(reader);
  const binding = readScalar(reader);
  if (noncesUsed({ hiding, binding })) reader.fail('nonces were already used');
  reader.end();
  return { me, nonces: { hiding, binding }, commitments };
}
