/**
 * Distributed key generation without a trusted dealer: the RFC 9591 / frost-rs Pedersen DKG with
 * proofs of knowledge ("PedPoP"). Each party's polynomial, Feldman commitments and proof come from
 * noble's `FROST.DKG.round1`, so the round-1 data is exactly frost-rs's; the rest runs on
 * {@link DealingProtocol}, which adds what noble leaves to the caller — instance-bound versioned
 * messages, an echo round for broadcast consistency, checks that name the culprit — and verifies in
 * variable time on public data (noble's `round2/round3` re-validate every point several times and
 * made a 7-party Ed25519 DKG take seconds). `dkg.test.ts` checks that noble's own round 2 and 3
 * accept our transcripts and produce the same key. One code path serves secp256k1, whose Shamir
 * shares are ordinary threshold-ECDSA key shares, and Ed25519 for FROST.
 */
import type { CurveId, GroupPoint } from '../group.js';
import type { KeyShare } from '../key-share.js';
import { ascending, assertParticipantSet, type ParticipantId, type Protocol } from '../protocol.js';
import { DealingProtocol, type Dealing, type OwnPolynomial } from './engine.js';
import { instanceBinding, MAX_SESSION_ID_BYTES } from './messages.js';
import { frostIdentifier, verifyProofOfKnowledge, withSuite, type KeygenSuite } from './suite.js';

export interface DkgConfig {
  readonly curve: CurveId;
  /**
   * Caller-chosen id of this run (e.g. the contract's key-event id and attempt), identical at every
   * participant and never reused: every message is bound to it.
   */
  readonly sessionId: Uint8Array;
  readonly participants: readonly ParticipantId[];
  /** Shares needed to sign; 2 ≤ threshold ≤ participants. */
  readonly threshold: number;
  readonly me: ParticipantId;
  /** Randomness source (tests make runs reproducible with it); defaults to the system CSPRNG. */
  readonly rng?: (length: number) => Uint8Array;
}

/** Validates what every key-lifecycle protocol needs; configuration errors are RangeErrors. */
export function assertKeygenParameters(sessionId: Uint8Array, participants: readonly ParticipantId[], threshold: number): void {
  if (sessionId.length === 0 || sessionId.length > MAX_SESSION_ID_BYTES) {
    throw new RangeError(`session id must be 1 to ${MAX_SESSION_ID_BYTES} bytes, got ${sessionId.length}`);
  }
  assertParticipantSet(participants);
  if (!Number.isInteger(threshold) || threshold < 2 || threshold > participants.length) {
    throw new RangeError(`threshold ${threshold} must be an integer from 2 to the ${participants.length} participants`);
  }
}

/** Starts one participant's DKG run; its output is the participant's {@link KeyShare} of a fresh key. */
export function createDkg(config: DkgConfig): Protocol<KeyShare> {
  assertKeygenParameters(config.sessionId, config.participants, config.threshold);
  if (!config.participants.includes(config.me)) throw new RangeError(`participant ${config.me} is not in the participant set`);
  return withSuite<Protocol<KeyShare>>(config.curve, (suite) => new DkgProtocol(suite, config));
}

class DkgProtocol<P extends GroupPoint<P>> extends DealingProtocol<P, KeyShare> {
  constructor(suite: KeygenSuite<P>, config: DkgConfig) {
    const participants = ascending(config.participants);
    super({
      suite,
      curve: config.curve,
      protocol: 'keygen',
      stepPrefix: 'dkg',
      instance: instanceBinding({
        protocol: 'dkg',
        curve: config.curve,
        sessionId: config.sessionId,
        dealers: participants,
        receivers: participants,
        threshold: config.threshold,
      }),
      me: config.me,
      dealers: participants,
      receivers: participants,
      threshold: config.threshold,
      polynomial: frostRound1(suite, config.me, config.threshold, participants.length, config.rng),
    });
  }

  protected checkDealing(dealer: ParticipantId, dealing: Dealing<P>): void {
    if (!verifyProofOfKnowledge(this.suite, dealer, dealing.commitments[0]!, dealing.proofOfKnowledge)) {
      this.abort('proof-of-knowledge', `dealer ${dealer}'s proof of knowledge of its secret does not verify`, dealer);
    }
  }

  protected checkPublicKey(publicKey: P): void {
    // Proofs of knowledge stop a party from aiming its constant at minus the others' sum; only chance (~2⁻²⁵²) gets here.
    if (publicKey.is0()) this.abort('public-key', 'the dealt secrets sum to zero');
  }

  protected toOutput(share: KeyShare | undefined): KeyShare {
    if (share === undefined) throw new Error('every DKG participant receives a share');
    return share;
  }
}

/** This party's random polynomial, its commitments and its proof of knowledge, from noble's DKG round 1. */
function frostRound1<P extends GroupPoint<P>>(
  suite: KeygenSuite<P>,
  me: ParticipantId,
  threshold: number,
  count: number,
  rng: DkgConfig['rng'],
): OwnPolynomial<P> {
  const { frost } = suite;
  // noble types its RNG as returning an ArrayBuffer-backed array; any Uint8Array works.
  const frostRng = rng as Parameters<typeof frost.DKG.round1>[3];
  const round1 = frost.DKG.round1(frostIdentifier(frost, me), { min: threshold, max: count }, undefined, frostRng);
  const coefficients = round1.secret.coefficients;
  if (coefficients === undefined || coefficients.length !== threshold) throw new Error('noble DKG round 1 returned no polynomial');
  const polynomial = {
    coefficients: [...coefficients],
    commitments: round1.public.commitment.map((bytes) => suite.group.pointFromBytes(bytes)),
    proofOfKnowledge: round1.public.proofOfKnowledge,
  };
  // The coefficients now live only in this protocol object; wipe noble's copy (best effort with bigints).
  frost.DKG.clean(round1.secret);
  return polynomial;
}
