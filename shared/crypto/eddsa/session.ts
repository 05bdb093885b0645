/**
 * What FROST signing and nonce pre-commitment share: checking a signing set against a key, turning
 * commitment lists into the shape frost-ed25519.ts takes, and the inbox discipline of a sans-IO protocol (untrusted
 * bytes never throw from `message`; the first problem becomes the abort every later `poke` throws).
 */
import type { RNG } from '@noble/curves/abstract/frost.js';
import { DecodeError, ProtocolAbort } from '../errors.js';
import { assertParticipantSet, type Action, type ParticipantId, type Protocol } from '../protocol.js';
import type { KeyShare } from '../key-share.js';
import type { FrostKeyPackage } from '../keygen/index.js';
import { EddsaInputError, frostIdentifier } from './frost-key.js';
import { commit, type NonceCommitments } from './frost-ed25519.js';
import { decodeEddsaMessage, type CommitmentList, type EddsaMessage, type NonceCommitmentPair } from './messages.js';

/** A participant's secret round-1 nonces d (hiding) and e (binding), 32-byte scalars. Single use. */
export interface SigningNonces {
  readonly hiding: Uint8Array;
  readonly binding: Uint8Array;
}

/**
 * `signShare` zeroes the nonces it used (and refuses a zero nonce), so a zero nonce marks a consumed
 * presignature.
 */
export function noncesUsed(nonces: SigningNonces): boolean {
  const isZero = (bytes: Uint8Array): boolean => bytes.every((byte) => byte === 0);
  return isZero(nonces.hiding) || isZero(nonces.binding);
}

/**
 * Checks that the holder of `keyShare` can sign among `signers` and returns the signers ascending.
 * Throws {@link EddsaInputError}: these are the caller's own inputs, not a peer's misbehaviour.
 */
export function checkSigningSet(protocol: string, keyShare: KeyShare, signers: readonly ParticipantId[]): ParticipantId[] {
  if (keyShare.curve !== 'ed25519') throw new EddsaInputError(protocol, `FROST signs with an Ed25519 key, not ${keyShare.curve}`);
  try {
    assertParticipantSet(signers);
  } catch (error) {
    throw new EddsaInputError(protocol, (error as Error).message);
  }
  const sorted = [...signers].sort((a, b) => a - b);
  if (!sorted.includes(keyShare.me)) throw new EddsaInputError(protocol, `participant ${keyShare.me} is not among the signers ${sorted.join(', ')}`);
  // noble's FROST refuses 1-of-n keys (single-party signing needs no protocol); say so up front.
  if (keyShare.threshold < 2) throw new EddsaInputError(protocol, `FROST needs a threshold of at least 2, the key has ${keyShare.threshold}`);
  if (sorted.length < keyShare.threshold) {
    throw new EddsaInputError(protocol, `${sorted.length} signers given; the key needs ${keyShare.threshold}`);
  }
  const strangers = sorted.filter((p) => !keyShare.participants.includes(p));
  if (strangers.length > 0) throw new EddsaInputError(protocol, `participants ${strangers.join(', ')} hold no share of this key`);
  return sorted;
}

/** Draws fresh hedged nonces (RFC 9591 nonce_generate mixes the secret share with the randomness). */
export function commitNonces(key: FrostKeyPackage, rng: RNG | undefined): { nonces: SigningNonces; commitments: NonceCommitmentPair } {
  const generated = commit(key.secret, rng);
  return {
    nonces: generated.nonces,
    commitments: { hiding: generated.commitments.hiding, binding: generated.commitments.binding },
  };
}

export function toFrostCommitments(list: CommitmentList): NonceCommitments[] {
  return [...list].map(([participant, pair]) => ({
    identifier: frostIdentifier(participant),
    hiding: new Uint8Array(pair.hiding),
    binding: new Uint8Array(pair.binding),
  }));
}

export function sameParticipants(list: CommitmentList, signers: readonly ParticipantId[]): boolean {
  return list.size === signers.length && signers.every((p) => list.has(p));
}

/**
 * Base of the FROST protocols: validates the sender and decodes every incoming message, records the
 * first abort, and hands well-formed messages to `receive`.
 */
export abstract class FrostSession<Output> implements Protocol<Output> {
  private failure: ProtocolAbort | undefined;
  private finished: Action<Output> | undefined;

  protected constructor(
    protected readonly protocol: string,
    protected readonly me: ParticipantId,
    protected readonly participants: readonly ParticipantId[],
  ) {}

  /** The next action, given everything received so far. Throws ProtocolAbort on a violation. */
  protected abstract advance(): Action<Output>;
  /** One decoded message from another participant; throws ProtocolAbort if it is unexpected. */
  protected abstract receive(from: ParticipantId, message: EddsaMessage): void;

  protected abort(step: string, message: string, culprit?: ParticipantId, cause?: unknown): ProtocolAbort {
    return new ProtocolAbort(this.protocol, step, message, culprit, cause === undefined ? undefined : { cause });
  }

  poke(): Action<Output> {
    if (this.failure !== undefined) throw this.failure;
    if (this.finished !== undefined) return this.finished;
    try {
      const action = this.advance();
      if (action.kind === 'return') this.finished = action;
      return action;
    } catch (error) {
      if (error instanceof ProtocolAbort) this.failure = error;
      throw error;
    }
  }

  message(from: ParticipantId, data: Uint8Array): void {
    if (this.failure !== undefined || this.finished !== undefined) return;
    if (from === this.me || !this.participants.includes(from)) {
      this.failure = this.abort('receive', `message from participant ${from}, who is not in this run`, from);
      return;
    }
    try {
      this.receive(from, decodeEddsaMessage(data));
    } catch (error) {
      if (error instanceof DecodeError) this.failure = this.abort('receive', error.message, from, error);
      else if (error instanceof ProtocolAbort) this.failure = error;
      else throw error;
    }
  }
}
