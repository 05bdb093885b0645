/**
 * FROST(Ed25519, SHA-512) threshold signing (RFC 9591) under a NEAR-derived key, as a sans-IO
 * protocol around ./frost-ed25519.ts, which does the FROST arithmetic on libsodium.
 *
 * A coordinator (the request's leader, itself a signer) drives the run:
 * - without a presignature: signers send round-1 commitments to the coordinator, it sends everyone
 *   the commitment list, signers answer with signature shares (two round trips);
 * - with an {@link EddsaPresignature}: the list is already agreed, so signers send their shares at
 *   once (one message each).
 * The coordinator aggregates and verifies the signature under the derived key (libsodium's RFC 8032
 * verification, which shares none of the FROST equations); if it does not verify it checks every
 * share on its own and aborts naming the signers whose shares are wrong. Nothing unverified is ever
 * output.
 *
 * The payload is not sent: every signer signs the payload of the pending request it saw itself. Its
 * SHA-256 travels with the signing package and every share, so signers that saw different payloads
 * abort with {@link SignedPayloadMismatch} instead of producing shares that look wrong.
 */
import type { RNG } from '@noble/curves/abstract/frost.js';
import { equalBytes } from '@noble/curves/utils.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { ProtocolAbort } from '../errors.js';
import type { Action, ParticipantId } from '../protocol.js';
import type { KeyShare } from '../key-share.js';
import { toFrostKeyPackage, type FrostKeyPackage } from '../keygen/index.js';
import { deriveFrostKey, EddsaInputError, frostIdentifier, type DerivedFrostKey } from './frost-key.js';
import { aggregate, prepareSigning, signShare, verifyShare, type SigningContext } from './frost-ed25519.js';
import { encodeEddsaMessage, type CommitmentList, type EddsaMessage, type NonceCommitmentPair } from './messages.js';
import type { EddsaPresignature } from './presign.js';
import { checkSigningSet, commitNonces, FrostSession, noncesUsed, sameParticipants, toFrostCommitments, type SigningNonces } from './session.js';

/** The largest EdDSA payload near/mpc accepts (a Solana transaction). */
export const MAX_EDDSA_PAYLOAD_BYTES = 1232;

/** A payload longer than {@link MAX_EDDSA_PAYLOAD_BYTES}; refused before anything is sent. */
export class EddsaPayloadTooLong extends EddsaInputError {
  constructor(
    readonly length: number,
    readonly limit: number = MAX_EDDSA_PAYLOAD_BYTES,
  ) {
    super(PROTOCOL, `payload is ${length} bytes; the limit is ${limit}`);
  }
}

/** The aggregate did not verify and these signers' shares fail `verifyShare`. */
export class InvalidSignatureShares extends ProtocolAbort {
  constructor(
    readonly culprits: readonly ParticipantId[],
    cause: unknown,
  ) {
    super(PROTOCOL, 'aggregate', `signature shares of participants ${culprits.join(', ')} do not verify`, culprits[0], { cause });
    this.name = 'InvalidSignatureShares';
  }
}

/**
 * `participant` signs a different payload than this node: its SHA-256 differs from ours. Raised
 * before aggregation (coordinator) or before signing (signer); the shares themselves may be fine,
 * the nodes just disagree on what the request says.
 */
export class SignedPayloadMismatch extends ProtocolAbort {
  constructor(
    step: string,
    readonly participant: ParticipantId,
  ) {
    super(PROTOCOL, step, `participant ${participant} signs a different payload`, participant);
    this.name = 'SignedPayloadMismatch';
  }
}

export interface EddsaSignOptions {
  /** This participant's share of the root key; the NEAR tweak is applied inside. */
  readonly keyShare: KeyShare;
  /** Who signs, this participant and the coordinator included; with a presignature, exactly its signing set. */
  readonly signers: readonly ParticipantId[];
  readonly coordinator: ParticipantId;
  /** The raw message (near/mpc signs the payload itself, not a hash), at most 1232 bytes. */
  readonly payload: Uint8Array;
  /** The 32-byte NEAR derivation tweak of the request (`deriveTweak(predecessor, path)`). */
  readonly tweak: Uint8Array;
  /** Pre-committed nonces: skips round 1. Must already have been taken out of the store. */
  readonly presignature?: EddsaPresignature;
  /** Test-only: nonce randomness for known-answer tests (see `EddsaPresignOptions.rng`). */
  readonly rng?: RNG;
}

export type EddsaSignOutput =
  /** The coordinator's result: a 64-byte Ed25519 signature R ‖ s, verified under `derivedPublicKey`. */
  | { readonly role: 'coordinator'; readonly signature: Uint8Array; readonly derivedPublicKey: Uint8Array }
  /** A signer's run ends once its share is sent; only the coordinator learns the signature. */
  | { readonly role: 'signer' };

const PROTOCOL = 'eddsa-sign';

export class EddsaSignProtocol extends FrostSession<EddsaSignOutput> {
  private readonly rootKey: FrostKeyPackage;
  private readonly key: DerivedFrostKey;
  private readonly coordinator: ParticipantId;
  private readonly payload: Uint8Array;
  private readonly payloadDigest: Uint8Array;
  private readonly rng: RNG | undefined;
  private nonces: SigningNonces | undefined;
  /** Round-1 commitments as they arrive (coordinator, without a presignature). */
  private readonly received = new Map<ParticipantId, NonceCommitmentPair>();
  /** The list every signer signs against, once fixed. */
  private list: CommitmentList | undefined;
  /** What signing against the list derives, computed once for our share and the aggregation. */
  private context: SigningContext | undefined;
  private readonly shares = new Map<ParticipantId, Uint8Array>();
  private shareSent = false;
  /** The list came in a signing package from the coordinator (not from our own presignature or commitments). */
  private listFromCoordinator = false;

  constructor(options: EddsaSignOptions) {
    if (options.payload.length > MAX_EDDSA_PAYLOAD_BYTES) throw new EddsaPayloadTooLong(options.payload.length);
    const { keyShare, presignature } = options;
    const signers = checkSigningSet(PROTOCOL, keyShare, options.signers);
    if (!signers.includes(options.coordinator)) throw new EddsaInputError(PROTOCOL, `coordinator ${options.coordinator} is not a signer`);
    if (options.tweak.length !== 32) throw new EddsaInputError(PROTOCOL, `the NEAR tweak must be 32 bytes, got ${options.tweak.length}`);
    super(PROTOCOL, keyShare.me, signers);
    if (presignature !== undefined) {
      if (presignature.me !== keyShare.me) throw new EddsaInputError(PROTOCOL, `presignature belongs to participant ${presignature.me}, not ${keyShare.me}`);
      if (!sameParticipants(presignature.commitments, signers)) throw new EddsaInputError(PROTOCOL, 'presignature was made for another signing set');
      if (noncesUsed(presignature.nonces)) throw new EddsaInputError(PROTOCOL, 'presignature was already used');
      this.nonces = presignature.nonces;
      this.list = presignature.commitments;
    }
    this.rootKey = toFrostKeyPackage(keyShare);
    // Only the coordinator verifies shares (the signers' ones); a signer needs no verifying shares.
    this.key = deriveFrostKey(this.rootKey, options.tweak, keyShare.me === options.coordinator ? signers : []);
    this.coordinator = options.coordinator;
    this.payload = options.payload;
    this.payloadDigest = sha256(options.payload);
    this.rng = options.rng;
  }

  private get isCoordinator(): boolean {
    return this.me === this.coordinator;
  }

  protected advance(): Action<EddsaSignOutput> {
    return this.isCoordinator ? this.advanceCoordinator() : this.advanceSigner();
  }

  private commit(): NonceCommitmentPair {
    const own = commitNonces(this.rootKey, this.rng);
    this.nonces = own.nonces;
    return own.commitments;
  }

  private advanceCoordinator(): Action<EddsaSignOutput> {
    if (this.list === undefined) {
      if (this.nonces === undefined) this.received.set(this.me, this.commit());
      if (this.received.size < this.participants.length) return { kind: 'wait' };
      this.list = new Map(this.received);
      return { kind: 'send-many', data: encodeEddsaMessage({ kind: 'signing-package', commitments: this.list, payloadDigest: this.payloadDigest }) };
    }
    if (!this.shares.has(this.me)) this.shares.set(this.me, this.signShare(this.list));
    if (this.shares.size < this.participants.length) return { kind: 'wait' };
    return { kind: 'return', output: this.aggregate(this.context!) };
  }

  private advanceSigner(): Action<EddsaSignOutput> {
    if (this.list === undefined) {
      if (this.nonces !== undefined) return { kind: 'wait' };
      const commitments = this.commit();
      return { kind: 'send-private', to: this.coordinator, data: encodeEddsaMessage({ kind: 'commitments', commitments }) };
    }
    if (!this.shareSent) {
      this.shareSent = true;
      const share = this.signShare(this.list);
      return { kind: 'send-private', to: this.coordinator, data: encodeEddsaMessage({ kind: 'signature-share', share, payloadDigest: this.payloadDigest }) };
    }
    return { kind: 'return', output: { role: 'signer' } };
  }

  /** zᵢ under the derived key, after checking every point of the list and our own commitment in it; zeroes the nonces. */
  private signShare(list: CommitmentList): Uint8Array {
    try {
      this.context = prepareSigning(this.key.public, toFrostCommitments(list), this.payload);
      return signShare(this.context, this.key.secret, this.nonces!);
    } catch (cause) {
      // Our own inputs were checked at construction, so a list we cannot sign against is the
      // coordinator's doing when it sent it; a presignature from our own store blames no one.
      const culprit = this.listFromCoordinator ? this.coordinator : undefined;
      throw this.abort('round-2/sign', `cannot sign against the commitment list: ${String(cause)}`, culprit, cause);
    }
  }

  private aggregate(context: SigningContext): EddsaSignOutput {
    const shares = new Map(this.participants.map((p) => [frostIdentifier(p), this.shares.get(p)!]));
    try {
      return { role: 'coordinator', signature: aggregate(context, shares), derivedPublicKey: this.key.derivedPublicKey };
    } catch (cause) {
      const culprits = this.participants.filter((p) => !this.shareVerifies(context, p));
      if (culprits.length > 0) throw new InvalidSignatureShares(culprits, cause);
      throw this.abort('verify', `the aggregate does not verify under the derived key though every share verifies: ${String(cause)}`, undefined, cause);
    }
  }

  private shareVerifies(context: SigningContext, participant: ParticipantId): boolean {
    try {
      return verifyShare(context, frostIdentifier(participant), this.shares.get(participant)!);
    } catch {
      return false;
    }
  }

  protected receive(from: ParticipantId, message: EddsaMessage): void {
    if (this.isCoordinator) this.receiveAsCoordinator(from, message);
    else this.receiveAsSigner(from, message);
  }

  private receiveAsCoordinator(from: ParticipantId, message: EddsaMessage): void {
    if (message.kind === 'commitments' && this.list === undefined) {
      if (this.received.has(from)) throw this.abort('round-1/commitments', 'duplicate commitments', from);
      this.received.set(from, message.commitments);
    } else if (message.kind === 'signature-share' && this.list !== undefined) {
      if (this.shares.has(from)) throw this.abort('round-2/signature-share', 'duplicate signature share', from);
      if (!equalBytes(message.payloadDigest, this.payloadDigest)) throw new SignedPayloadMismatch('round-2/signature-share', from);
      this.shares.set(from, message.share);
    } else {
      throw this.abort('receive', `unexpected ${message.kind} message at this point`, from);
    }
  }

  private receiveAsSigner(from: ParticipantId, message: EddsaMessage): void {
    if (from !== this.coordinator || message.kind !== 'signing-package' || this.list !== undefined || this.nonces === undefined) {
      throw this.abort('receive', `unexpected ${message.kind} message at this point`, from);
    }
    if (!sameParticipants(message.commitments, this.participants)) {
      throw this.abort('round-2/signing-package', 'the commitment list does not cover exactly the signers', from);
    }
    if (!equalBytes(message.payloadDigest, this.payloadDigest)) throw new SignedPayloadMismatch('round-2/signing-package', from);
    this.list = message.commitments;
    this.listFromCoordinator = true;
  }
}
