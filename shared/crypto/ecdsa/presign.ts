/**
 * cait-sith presigning (threshold-crypto.md §1, near/threshold-signatures ot_based_ecdsa), sans-IO.
 *
 * Inputs: this participant's key share (x), and its shares of two committed Beaver triples from the
 * same participant set — triple 0 = (k, d, kd), triple 1 = (a, b, c = a·b). Output: R = k⁻¹·G and
 * additive shares of k and σ = k·x over the presign set.
 *
 * The presign set may be any subset (of size ≥ threshold) of the key and triple participants. Each
 * participant first converts its Shamir shares to additive shares over the presign set by its Lagrange
 * coefficient (the LIT "pornin fix": coefficients over the set that actually runs, never over the
 * triple's own set). One broadcast then carries everything, since nothing in it depends on a peer's
 * message (cait-sith sends its two broadcasts back to back, too):
 *   kd′ᵢ, ka′ᵢ = k′ᵢ + a′ᵢ, xb′ᵢ = x′ᵢ + b′ᵢ, and commitments a′ᵢ·G, c′ᵢ·G.
 * Every participant checks the openings against the public values (kd·G = C₀, ka·G = K + A,
 * xb·G = X + B) and that the commitments sum to A and C, then sets R = kd⁻¹·D and
 *   σ′ᵢ = ka·x′ᵢ − xb·a′ᵢ + c′ᵢ, so Σσ′ᵢ = (k + a)·x − (x + b)·a + a·b = k·x.
 *
 * Abort attribution: a malformed, duplicate, self-addressed or stranger's message, and a zero kd
 * share, name their sender. A wrong opening does not: the triples carry no per-participant public
 * shares, so a bad sum cannot be pinned on one participant (cait-sith has no identifiable abort).
 * The commitments are what make the *sign* step identifiable: with them the coordinator can
 * recompute every participant's expected signature share (sign.ts).
 */
import { equalBytes } from '@noble/curves/utils.js';
import { ProtocolAbort } from '../errors.js';
import { SECP256K1 } from '../group.js';
import type { KeyShare } from '../key-share.js';
import { addPoints, compressPoint, isPoint, multiplyGenerator, multiplyPublic } from '../native/libsecp256k1.js';
import { lagrangeCoefficient } from '../polynomial.js';
import { assertParticipantSet, sameParticipantSet, type Action, type ParticipantId, type Protocol } from '../protocol.js';
import { EcdsaInputError } from './errors.js';
import { decodePresignRound1, encodePresignRound1, pointFromValidated, type PresignRound1Message } from './messages.js';
import type { PresignatureShare, PresignParticipantCommitments } from './presignature.js';
import type { Triple, TriplePublic } from './triple.js';

const PROTOCOL = 'ecdsa-presign';
const Fn = SECP256K1.Fn;

export interface PresignInput {
  /** The presign set; it is also the signing set of the resulting presignature. */
  readonly participants: readonly ParticipantId[];
  /** This participant's key share; `keyShare.me` is this participant. */
  readonly keyShare: KeyShare;
  /** Triple (k, d, kd): k becomes the nonce, d masks it so R can be computed in the open. */
  readonly nonceTriple: Triple;
  /** Triple (a, b, c): the Beaver triple that multiplies k by the key x. */
  readonly multiplicationTriple: Triple;
}

/** Checks every rule of the input and returns the presign set, ascending. */
function validateInput(input: PresignInput): ParticipantId[] {
  const { keyShare, nonceTriple, multiplicationTriple } = input;
  const fail = (reason: string): never => {
    throw new EcdsaInputError(PROTOCOL, reason);
  };
  try {
    assertParticipantSet(input.participants);
  } catch (error) {
    fail((error as Error).message);
  }
  const participants = [...input.participants].sort((a, b) => a - b);
  if (keyShare.curve !== 'secp256k1') fail(`the key share is for ${keyShare.curve}, not secp256k1`);
  if (!participants.includes(keyShare.me)) fail(`participant ${keyShare.me} is not in the presign set`);
  if (keyShare.publicKey.length !== SECP256K1.pointBytes) fail('the key share public key is not a compressed point');
  if (participants.length < keyShare.threshold) {
    fail(`${participants.length} participants cannot presign for a key with threshold ${keyShare.threshold}`);
  }
  const keyHolders = new Set(keyShare.participants);
  const tripleHolders = new Set(nonceTriple.pub.participants);
  for (const id of participants) {
    if (!keyHolders.has(id)) fail(`participant ${id} holds no share of the key`);
    if (!tripleHolders.has(id)) fail(`participant ${id} holds no share of the triples`);
    if (keyShare.verifyingShares.get(id)?.length !== SECP256K1.pointBytes) {
      fail(`the key share lacks participant ${id}'s compressed verifying share`);
    }
  }
  const triples: readonly [string, TriplePublic][] = [
    ['nonce', nonceTriple.pub],
    ['multiplication', multiplicationTriple.pub],
  ];
  for (const [name, pub] of triples) {
    if (pub.threshold !== keyShare.threshold) fail(`the ${name} triple has threshold ${pub.threshold}, the key ${keyShare.threshold}`);
  }
  if (!sameParticipantSet(nonceTriple.pub.participants, multiplicationTriple.pub.participants)) {
    fail('the two triples come from different participant sets');
  }
  // Using one triple twice would open k + k and so reveal the nonce, and with it the key.
  if (equalBytes(nonceTriple.pub.bigA, multiplicationTriple.pub.bigA)) fail('the two triples are the same triple');
  return participants;
}

function checkLocalPoint(bytes: Uint8Array, what: string): Uint8Array {
  if (!isPoint(bytes)) throw new EcdsaInputError(PROTOCOL, `${what} is not a valid secp256k1 point`);
  return bytes;
}

/** s·G for a public s (the openings), or `undefined` (the identity) for s = 0. */
function publicBaseMultiple(scalar: bigint): Uint8Array | undefined {
  return scalar === 0n ? undefined : multiplyGenerator(scalar);
}

/**
 * The public points presign computes with, checked once: D for R = kd⁻¹·D, K for the ka check, B and
 * X for the xb check. The others (C₀, A, C) are only compared with what the openings give.
 */
interface PresignPublicPoints {
  readonly bigD: Uint8Array;
  readonly bigK: Uint8Array;
  readonly bigB: Uint8Array;
  readonly bigX: Uint8Array;
}

/** Whether two points (uncompressed encodings from libsecp256k1; undefined: the identity) are the same non-identity point. */
function samePoint(p: Uint8Array | undefined, q: Uint8Array | undefined): boolean {
  return p !== undefined && q !== undefined && equalBytes(p, q);
}

/** True when `point` (undefined: the identity) is the point whose compressed encoding is `encoded`. */
function encodesTo(point: Uint8Array | undefined, encoded: Uint8Array): boolean {
  return point !== undefined && equalBytes(compressPoint(point), encoded);
}

/** This participant's shares, already weighted by its Lagrange coefficient over the presign set. */
interface WeightedShares {
  readonly k: bigint;
  readonly kd: bigint;
  readonly a: bigint;
  readonly b: bigint;
  readonly c: bigint;
  readonly x: bigint;
}

export class EcdsaPresign implements Protocol<PresignatureShare> {
  private readonly participants: readonly ParticipantId[];
  private readonly me: ParticipantId;
  private readonly points: PresignPublicPoints;
  private readonly weighted: WeightedShares;
  private readonly received = new Map<ParticipantId, PresignRound1Message>();
  private abort: ProtocolAbort | undefined;
  private state: 'start' | 'waiting' | 'done' = 'start';

  constructor(private readonly input: PresignInput) {
    this.participants = validateInput(input);
    const { keyShare, nonceTriple, multiplicationTriple } = input;
    this.me = keyShare.me;
    this.points = {
      bigD: checkLocalPoint(nonceTriple.pub.bigB, 'nonce triple B'),
      bigK: checkLocalPoint(nonceTriple.pub.bigA, 'nonce triple A'),
      bigB: checkLocalPoint(multiplicationTriple.pub.bigB, 'multiplication triple B'),
      bigX: checkLocalPoint(keyShare.publicKey, 'the key share public key'),
    };
    const lambda = lagrangeCoefficient(Fn, this.participants, this.me);
    const weigh = (share: bigint): bigint => Fn.mul(lambda, share);
    this.weighted = {
      k: weigh(nonceTriple.share.a),
      kd: weigh(nonceTriple.share.c),
      a: weigh(multiplicationTriple.share.a),
      b: weigh(multiplicationTriple.share.b),
      c: weigh(multiplicationTriple.share.c),
      x: weigh(keyShare.privateShare),
    };
  }

  poke(): Action<PresignatureShare> {
    if (this.abort) throw this.abort;
    if (this.state === 'done') throw new Error(`${PROTOCOL}: poked after it returned`);
    try {
      if (this.state === 'start') {
        this.state = 'waiting';
        return { kind: 'send-many', data: this.ownMessage() };
      }
      // Own message included: it is recorded when sent.
      if (this.received.size < this.participants.length) return { kind: 'wait' };
      const output = this.finish();
      this.state = 'done';
      return { kind: 'return', output };
    } catch (error) {
      // An abort is final: later pokes throw it again instead of retrying a half-checked state.
      if (error instanceof ProtocolAbort) this.abort = error;
      throw error;
    }
  }

  message(from: ParticipantId, data: Uint8Array): void {
    if (this.abort || this.state === 'done') return;
    const reject = (reason: string, cause?: unknown): void => {
      this.abort = new ProtocolAbort(PROTOCOL, 'round-1', reason, from, { cause });
    };
    if (from === this.me) return reject('a message claims to come from this participant itself');
    if (!this.participants.includes(from)) return reject('message from a participant outside the presign set');
    if (this.received.has(from)) return reject('second round-1 message (duplicate or replay)');
    try {
      this.received.set(from, decodePresignRound1(data));
    } catch (error) {
      reject(`malformed round-1 message: ${(error as Error).message}`, error);
    }
  }

  private ownMessage(): Uint8Array {
    const { k, kd, a, b, c, x } = this.weighted;
    // A zero share (probability 2⁻²⁵⁶ for honest triples) has no point encoding; it means corrupt input.
    if (a === 0n || c === 0n) throw new ProtocolAbort(PROTOCOL, 'round-1', 'own triple share is zero', this.me);
    // Secret scalars: libsecp256k1's constant-time generator multiplication.
    const aCommitment = pointFromValidated(multiplyGenerator(a));
    const cCommitment = pointFromValidated(multiplyGenerator(c));
    const message: PresignRound1Message = { kdShare: kd, kaShare: Fn.add(k, a), xbShare: Fn.add(x, b), aCommitment, cCommitment };
    this.received.set(this.me, message);
    return encodePresignRound1(message);
  }

  private finish(): PresignatureShare {
    const { points, weighted } = this;
    const abort = (step: string, reason: string, culprit?: ParticipantId): never => {
      throw new ProtocolAbort(PROTOCOL, step, reason, culprit);
    };
    let kd = 0n;
    let ka = 0n;
    let xb = 0n;
    for (const id of this.participants) {
      const message = this.received.get(id)!;
      if (message.kdShare === 0n) abort('open-kd', 'kd share is zero', id);
      kd = Fn.add(kd, message.kdShare);
      ka = Fn.add(ka, message.kaShare);
      xb = Fn.add(xb, message.xbShare);
    }
    if (kd === 0n) abort('open-kd', 'kd opened to zero, so R is undefined');
    const { nonceTriple, multiplicationTriple, keyShare } = this.input;
    // Decoded and own points are affine in noble, so their encodings are cheap.
    const commitments = new Map<ParticipantId, PresignParticipantCommitments>();
    for (const id of this.participants) {
      const message = this.received.get(id)!;
      commitments.set(id, {
        kaShare: message.kaShare,
        aCommitment: message.aCommitment.toBytes(false),
        cCommitment: message.cCommitment.toBytes(false),
        keyVerifyingShare: keyShare.verifyingShares.get(id)!,
      });
    }
    const sumA = addPoints([...commitments.values()].map((commitment) => commitment.aCommitment));
    const sumC = addPoints([...commitments.values()].map((commitment) => commitment.cCommitment));
    if (!encodesTo(publicBaseMultiple(kd), nonceTriple.pub.bigC)) abort('open-kd', 'kd·G differs from the nonce triple commitment C');
    if (!encodesTo(sumA, multiplicationTriple.pub.bigA) || !encodesTo(sumC, multiplicationTriple.pub.bigC)) {
      abort('share-commitments', 'the share commitments do not sum to the triple commitments A and C');
    }
    // ΣA′ = A from here on, so ka·G = K + A ⇔ ka·G = K + ΣA′ (K is the nonce triple's "A").
    if (!samePoint(publicBaseMultiple(ka), addPoints([points.bigK, sumA!]))) abort('open-ka', 'ka·G differs from K + A');
    if (!samePoint(publicBaseMultiple(xb), addPoints([points.bigX, points.bigB]))) abort('open-xb', 'xb·G differs from X + B');
    const bigR = multiplyPublic(points.bigD, Fn.inv(kd));
    const sigma = Fn.add(Fn.sub(Fn.mul(ka, weighted.x), Fn.mul(xb, weighted.a)), weighted.c);
    return {
      participants: this.participants,
      me: this.me,
      publicKey: keyShare.publicKey,
      bigR,
      k: weighted.k,
      sigma,
      ka,
      xb,
      commitments,
    };
  }
}
