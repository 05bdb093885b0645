/**
 * Batched Beaver-triple generation (cait-sith's triple protocol, docs/triples.md there), as one
 * sans-IO protocol producing M committed triples per run for the participants who run it.
 *
 * Every party i draws, per triple, polynomials eᵢ, fᵢ of degree t − 1 and lᵢ with lᵢ(0) = 0;
 * a = Σ eᵢ(0), b = Σ fᵢ(0), and the product c = a·b is computed by pairwise OT-based
 * multiplication. The rounds (each a lockstep phase; private OT flights of every pair ride along):
 *
 *  1. broadcast H(commitments to eᵢ, fᵢ, lᵢ; randomizer)        | OT receiver → sender: base-OT Y
 *  2. broadcast confirmation of all round-1 hashes, the opening, one batched proof of knowledge
 *     of every eᵢ(0), fᵢ(0); private eᵢ(j), fᵢ(j)              | OT sender → receiver: base-OT X
 *  3. broadcast Cᵢ = eᵢ(0)·F(0) with a dlog-eq proof against Eᵢ(0) | U (OT extension)
 *  4.                                                           | sender → receiver: check challenge
 *  5.                                                           | receiver → sender: check answer
 *  6.                                                           | sender → receiver: MTA corrections
 *  7.                                                           | receiver → sender: MTA coefficients
 *  8. broadcast Ĉᵢ = cᵢ·G (cᵢ the additive product share) with one batched proof of knowledge;
 *     private lᵢ(j) + cᵢ
 *  then: Σ Ĉᵢ = C = Σ Cᵢ (the product is right) and every received share matches its
 *  commitments, so c(j)·G = C + L(j) (threshold-crypto.md §2 row 6).
 *
 * One OT extension per unordered pair per run, with fresh base OTs, serves all 2·M MTAs of the
 * pair; docs/triples.md argues why sharing it inside a batch is safe and why an abort ends the
 * run for good. Nothing is output unless every check passed.
 */
import { equalBytes } from '@noble/curves/utils.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { concatBytes, randomBytes } from '@noble/hashes/utils.js';
import { ProtocolAbort } from '../../errors.js';
import { randomScalar, SECP256K1 } from '../../group.js';
import { addPoints, compressPoint, multiplyGenerator, multiplySecret } from '../../native/libsecp256k1.js';
import { evaluatePolynomial, participantScalar, randomPolynomial } from '../../polynomial.js';
import { assertParticipantSet, type Action, type ParticipantId, type Protocol } from '../../protocol.js';
import type { Triple } from '../triple.js';
import {
  decodeBaseOtSenderPoint,
  decodeCommitmentHash,
  decodeCommitmentOpening,
  decodeMtaCoefficients,
  decodeMtaCorrections,
  decodeMultiplicationCommitments,
  decodeOtChallenge,
  decodeOtCheckAnswer,
  decodeOtCorrection,
  decodeProductCommitments,
  decodeProductShares,
  decodeSharesAndBaseOt,
  encodeBaseOtSenderPoint,
  encodeCommitmentHash,
  encodeCommitmentOpening,
  encodeCommitments,
  encodeMtaCoefficients,
  encodeMtaCorrections,
  encodeMultiplicationCommitments,
  encodeOtChallenge,
  encodeOtCheckAnswer,
  encodeOtCorrection,
  encodeProductCommitments,
  encodeProductShares,
  encodeSharesAndBaseOt,
  pairOtCount,
  peekTag,
  Tag,
  type CommitmentOpening,
  type MultiplicationCommitments,
  type PolynomialCommitments,
  type ProductCommitments,
  type SharesAndBaseOt,
  type RunShape,
} from './messages.js';
import { mtaReceive, mtaSenderCorrections, mtaSenderShares } from './mta.js';
import { OtExtensionReceiver, OtExtensionSender } from './ot-extension.js';
import { sumPoints, type EncodedPoint } from './points.js';
import { LinearCheck, proveDlogEq, proveDlogs } from './proofs.js';

export const TRIPLES_PROTOCOL = 'ecdsa-triples';

const Fn = SECP256K1.Fn;
const encoder = new TextEncoder();
const COMMIT_DOMAIN = encoder.encode('chainsig/triples/commit/v1');
const CONFIRM_DOMAIN = encoder.encode('chainsig/triples/confirm/v1');
const PROOF_DOMAIN = encoder.encode('chainsig/triples/proof/v1');
const PAIR_DOMAIN = encoder.encode('chainsig/triples/pair/v1');

export interface TripleGenerationParams {
  /** Everyone running this instance (any set of at least `threshold`), including `me`. */
  readonly participants: readonly ParticipantId[];
  readonly me: ParticipantId;
  /** Shares have degree threshold − 1; any `threshold` of the participants can use a triple. */
  readonly threshold: number;
  /** Triples per run (M); near/mpc uses 64. */
  readonly batchSize: number;
  /**
   * Unique per run and agreed by all participants (e.g. a hash of the run's id and
   * participants). Binds every hash, proof and OT key to this run.
   */
  readonly sessionId: Uint8Array;
  /** Randomness source; defaults to the platform CSPRNG. */
  readonly rng?: (length: number) => Uint8Array;
}

/** Which side of the pair's OT extension (and MTAs) this party plays. */
type PairRole = 'ot-sender' | 'ot-receiver';

/** Statement labels inside proof transcripts. */
const enum ProofLabel {
  constantTerms = 1,
  product = 2,
  productShares = 3,
}

interface PairState {
  readonly role: PairRole;
  readonly otSender?: OtExtensionSender;
  readonly otReceiver?: OtExtensionReceiver;
  /** MTA-sender state between corrections and coefficients. */
  v0?: bigint[];
  /** Additive shares from this pair's 2·M MTAs (a·b′ for triples 0…M−1, then b·a′). */
  shares?: bigint[];
}

/** What each party holds per triple after round 2. */
interface Aggregates {
  /** Σ over parties of the E, F, L commitments (L without constant). */
  readonly e: EncodedPoint[][];
  readonly f: EncodedPoint[][];
  readonly l: EncodedPoint[][];
  readonly aShares: bigint[];
  readonly bShares: bigint[];
}

function u32(value: number): Uint8Array {
  const bytes = new Uint8Array(4);
  new DataView(bytes.buffer).setUint32(0, value, true);
  return bytes;
}

/** The role of `me` towards `peer`: orientations alternate so every party sends about as much as it receives. */
function pairRole(sorted: readonly ParticipantId[], me: ParticipantId, peer: ParticipantId): PairRole {
  const i = sorted.indexOf(me);
  const j = sorted.indexOf(peer);
  const lower = Math.min(i, j);
  const upper = Math.max(i, j);
  const senderIndex = (lower + upper) % 2 === 1 ? lower : upper;
  return senderIndex === i ? 'ot-sender' : 'ot-receiver';
}

/** Starts one party's side of a triple-generation run. */
export function generateTriples(params: TripleGenerationParams): Protocol<readonly Triple[]> {
  return new TripleGeneration(params);
}

class TripleGeneration implements Protocol<readonly Triple[]> {
  private readonly participants: readonly ParticipantId[];
  private readonly peers: readonly ParticipantId[];
  private readonly me: ParticipantId;
  private readonly shape: RunShape;
  private readonly sessionId: Uint8Array;
  private readonly rng: (length: number) => Uint8Array;
  private readonly pairs = new Map<ParticipantId, PairState>();
  private readonly inbox = new Map<Tag, Map<ParticipantId, Uint8Array>>();
  private readonly outbox: Action<readonly Triple[]>[] = [];
  private phase = 0;
  private failure: ProtocolAbort | undefined;
  private output: readonly Triple[] | undefined;
  private returned = false;

  // My secrets and what the rounds accumulate.
  private ePolys: bigint[][] = [];
  private fPolys: bigint[][] = [];
  private lPolys: bigint[][] = [];
  private myCommitments: PolynomialCommitments | undefined;
  private myEncodedCommitments: Uint8Array = new Uint8Array();
  private randomizer: Uint8Array = new Uint8Array();
  private readonly commitmentHashes = new Map<ParticipantId, Uint8Array>();
  private confirmation: Uint8Array = new Uint8Array();
  private readonly commitments = new Map<ParticipantId, PolynomialCommitments>();
  private aggregates: Aggregates | undefined;
  /** C = Σ Cᵢ per triple. */
  private products: EncodedPoint[] = [];
  /** My additive product shares cᵢ per triple, and Ĉᵢ = cᵢ·G. */
  private productShares: bigint[] = [];
  private myMultiplicationCommitments: EncodedPoint[] = [];

  constructor(params: TripleGenerationParams) {
    assertParticipantSet(params.participants);
    if (!params.participants.includes(params.me)) throw new RangeError(`participant ${params.me} is not in the participant set`);
    if (!Number.isInteger(params.threshold) || params.threshold < 1 || params.threshold > params.participants.length) {
      throw new RangeError(`threshold ${params.threshold} is not between 1 and ${params.participants.length}`);
    }
    if (params.participants.length < 2) throw new RangeError('triple generation needs at least two participants');
    if (!Number.isInteger(params.batchSize) || params.batchSize < 1 || params.batchSize > 4096) {
      throw new RangeError(`batch size ${params.batchSize} is not between 1 and 4096`);
    }
    if (params.sessionId.length < 16) throw new RangeError('session id must be at least 16 bytes');
    this.participants = [...params.participants].sort((a, b) => a - b);
    this.me = params.me;
    this.peers = this.participants.filter((id) => id !== params.me);
    this.shape = { batchSize: params.batchSize, threshold: params.threshold };
    this.sessionId = params.sessionId.slice();
    this.rng = params.rng ?? randomBytes;
  }

  poke(): Action<readonly Triple[]> {
    if (this.failure) throw this.failure;
    for (;;) {
      const next = this.outbox.shift();
      if (next !== undefined) return next;
      if (this.output !== undefined) {
        if (this.returned) throw new Error('triple generation was poked after it returned');
        this.returned = true;
        return { kind: 'return', output: this.output };
      }
      if (!this.phaseComplete()) return { kind: 'wait' };
      try {
        this.advance();
      } catch (error) {
        this.failure =
          error instanceof ProtocolAbort ? error : new ProtocolAbort(TRIPLES_PROTOCOL, `round-${this.phase}`, `internal error: ${String(error)}`, undefined, { cause: error });
        this.outbox.length = 0;
        throw this.failure;
      }
    }
  }

  message(from: ParticipantId, data: Uint8Array): void {
    if (this.failure !== undefined || this.output !== undefined) return;
    if (!this.peers.includes(from)) {
      this.failure = new ProtocolAbort(TRIPLES_PROTOCOL, 'receive', 'message from a non-participant', from);
      return;
    }
    let tag: Tag;
    try {
      tag = peekTag(data);
    } catch (error) {
      this.failure = new ProtocolAbort(TRIPLES_PROTOCOL, 'receive', `undecodable message: ${String(error)}`, from, { cause: error });
      return;
    }
    if (!this.expects(from, tag)) {
      this.failure = new ProtocolAbort(TRIPLES_PROTOCOL, 'receive', `participant sends no message with tag ${tag} in this role`, from);
      return;
    }
    let byTag = this.inbox.get(tag);
    if (byTag === undefined) {
      byTag = new Map();
      this.inbox.set(tag, byTag);
    }
    if (byTag.has(from)) {
      this.failure = new ProtocolAbort(TRIPLES_PROTOCOL, 'receive', `duplicate message with tag ${tag}`, from);
      return;
    }
    byTag.set(from, data);
  }

  // ---- scheduling ----

  private role(peer: ParticipantId): PairRole {
    return pairRole(this.participants, this.me, peer);
  }

  /** Tags `peer` sends me in `phase`. */
  private tagsFrom(peer: ParticipantId, phase: number): Tag[] {
    const peerIsOtReceiver = this.role(peer) === 'ot-sender';
    switch (phase) {
      case 1:
        return [Tag.commitmentHash, ...(peerIsOtReceiver ? [Tag.baseOtSenderPoint] : [])];
      case 2:
        return [Tag.commitmentOpening, Tag.sharesAndBaseOtReceiverPoints];
      case 3:
        return [Tag.productCommitments, ...(peerIsOtReceiver ? [Tag.otCorrection] : [])];
      case 4:
        return peerIsOtReceiver ? [] : [Tag.otChallenge];
      case 5:
        return peerIsOtReceiver ? [Tag.otCheckAnswer] : [];
      case 6:
        return peerIsOtReceiver ? [] : [Tag.mtaCorrections];
      case 7:
        return peerIsOtReceiver ? [Tag.mtaCoefficients] : [];
      case 8:
        return [Tag.multiplicationCommitments, Tag.productShares];
      default:
        return [];
    }
  }

  private expects(peer: ParticipantId, tag: Tag): boolean {
    for (let phase = 1; phase <= 8; phase += 1) if (this.tagsFrom(peer, phase).includes(tag)) return true;
    return false;
  }

  private phaseComplete(): boolean {
    if (this.phase === 0) return true;
    return this.peers.every((peer) => this.tagsFrom(peer, this.phase).every((tag) => this.inbox.get(tag)?.has(peer) === true));
  }

  private received(tag: Tag, peer: ParticipantId): Uint8Array {
    return this.inbox.get(tag)!.get(peer)!;
  }

  private advance(): void {
    const steps: (() => void)[] = [
      () => this.round1(),
      () => this.round2(),
      () => this.round3(),
      () => this.round4(),
      () => this.round5(),
      () => this.round6(),
      () => this.round7(),
      () => this.round8(),
      () => this.finish(),
    ];
    steps[this.phase]!();
    this.phase += 1;
  }

  private broadcast(data: Uint8Array): void {
    this.outbox.push({ kind: 'send-many', data });
  }

  private sendPrivate(to: ParticipantId, data: Uint8Array): void {
    this.outbox.push({ kind: 'send-private', to, data });
  }

  /** Runs `body` on `peer`'s input; any failure becomes an abort at `step` blaming `peer`. */
  private fromPeer<T>(step: string, peer: ParticipantId, body: () => T): T {
    try {
      return body();
    } catch (error) {
      if (error instanceof ProtocolAbort) throw error;
      throw new ProtocolAbort(TRIPLES_PROTOCOL, step, error instanceof Error ? error.message : String(error), peer, { cause: error });
    }
  }

  private pairContext(peer: ParticipantId): Uint8Array {
    const sender = this.role(peer) === 'ot-sender' ? this.me : peer;
    const receiver = sender === this.me ? peer : this.me;
    return concatBytes(PAIR_DOMAIN, this.sessionId, u32(sender), u32(receiver));
  }

  private proofTranscript(prover: ParticipantId, label: ProofLabel, index: number): Uint8Array {
    return concatBytes(PROOF_DOMAIN, this.sessionId, this.confirmation, u32(prover), u32(label), u32(index));
  }

  private commitmentHash(party: ParticipantId, randomizer: Uint8Array, encodedCommitments: Uint8Array): Uint8Array {
    return sha256(concatBytes(COMMIT_DOMAIN, this.sessionId, u32(party), randomizer, encodedCommitments));
  }

  // ---- rounds ----

  private round1(): void {
    const { batchSize, threshold } = this.shape;
    for (let m = 0; m < batchSize; m += 1) {
      this.ePolys.push(randomPolynomial(Fn, randomScalar(Fn, this.rng), threshold - 1, this.rng));
      this.fPolys.push(randomPolynomial(Fn, randomScalar(Fn, this.rng), threshold - 1, this.rng));
      this.lPolys.push(randomPolynomial(Fn, 0n, threshold - 1, this.rng));
    }
    // Feldman commitments; L's constant term is 0 by construction and is not committed.
    const commitments: PolynomialCommitments = {
      e: this.ePolys.map((poly) => poly.map(multiplyGenerator)),
      f: this.fPolys.map((poly) => poly.map(multiplyGenerator)),
      l: this.lPolys.map((poly) => poly.slice(1).map(multiplyGenerator)),
    };
    this.myCommitments = commitments;
    this.myEncodedCommitments = encodeCommitments(commitments);
    this.randomizer = this.rng(32);
    this.broadcast(encodeCommitmentHash(this.commitmentHash(this.me, this.randomizer, this.myEncodedCommitments)));
    const otCount = pairOtCount(this.shape.batchSize);
    for (const peer of this.peers) {
      if (this.role(peer) === 'ot-sender') {
        this.pairs.set(peer, { role: 'ot-sender', otSender: new OtExtensionSender(this.pairContext(peer), otCount, this.rng) });
      } else {
        const otReceiver = new OtExtensionReceiver(this.pairContext(peer), otCount, this.rng);
        this.pairs.set(peer, { role: 'ot-receiver', otReceiver });
        this.sendPrivate(peer, encodeBaseOtSenderPoint(otReceiver.bigY));
      }
    }
  }

  private round2(): void {
    const step = 'round-1/commitment-hash';
    for (const peer of this.peers) {
      this.commitmentHashes.set(peer, this.fromPeer(step, peer, () => decodeCommitmentHash(this.received(Tag.commitmentHash, peer))));
    }
    this.commitmentHashes.set(this.me, this.commitmentHash(this.me, this.randomizer, this.myEncodedCommitments));
    this.confirmation = sha256(concatBytes(CONFIRM_DOMAIN, this.sessionId, ...this.participants.flatMap((id) => [u32(id), this.commitmentHashes.get(id)!])));

    const baseOtPoints = new Map<ParticipantId, EncodedPoint[]>();
    for (const [peer, pair] of this.pairs) {
      if (pair.role !== 'ot-sender') continue;
      const bigY = this.fromPeer('round-1/base-ot', peer, () => decodeBaseOtSenderPoint(this.received(Tag.baseOtSenderPoint, peer)));
      baseOtPoints.set(peer, pair.otSender!.receiveBaseOt(bigY));
    }

    this.broadcast(
      encodeCommitmentOpening({
        confirmation: this.confirmation,
        randomizer: this.randomizer,
        encodedCommitments: this.myEncodedCommitments,
        proof: proveDlogs(
          this.proofTranscript(this.me, ProofLabel.constantTerms, 0),
          [...this.ePolys.map((poly) => poly[0]!), ...this.fPolys.map((poly) => poly[0]!)],
          constantTerms(this.myCommitments!),
          this.rng,
        ),
      }),
    );
    for (const peer of this.peers) {
      const x = participantScalar(peer);
      this.sendPrivate(
        peer,
        encodeSharesAndBaseOt({
          eShares: this.ePolys.map((poly) => evaluatePolynomial(Fn, poly, x)),
          fShares: this.fPolys.map((poly) => evaluatePolynomial(Fn, poly, x)),
          ...(baseOtPoints.has(peer) ? { baseOtPoints: baseOtPoints.get(peer)! } : {}),
        }),
      );
    }
  }

  private round3(): void {
    const { batchSize } = this.shape;
    const myX = participantScalar(this.me);
    const openings = new Map<ParticipantId, CommitmentOpening>();
    for (const peer of this.peers) {
      openings.set(peer, this.fromPeer('round-2/commitment-opening', peer, () => decodeCommitmentOpening(this.received(Tag.commitmentOpening, peer), this.shape)));
    }
    for (const [peer, opening] of openings) {
      if (!equalBytes(opening.confirmation, this.confirmation)) {
        // Someone sent different round-1 hashes to different parties; who cannot be told here.
        throw new ProtocolAbort(TRIPLES_PROTOCOL, 'round-2/broadcast-consistency', `participant ${peer} saw different round-1 commitment hashes`);
      }
      if (!equalBytes(this.commitmentHash(peer, opening.randomizer, opening.encodedCommitments), this.commitmentHashes.get(peer)!)) {
        throw new ProtocolAbort(TRIPLES_PROTOCOL, 'round-2/commitment-opening', 'commitments do not match the round-1 hash', peer);
      }
      this.commitments.set(peer, opening.commitments);
    }
    this.commitments.set(this.me, this.myCommitments!);
    this.verifyPerPeer('round-2/dlog-proof', 'the proof of knowledge of e(0) and f(0) is invalid', (peer, check) => {
      const commitments = this.commitments.get(peer)!;
      check.addDlogs(this.proofTranscript(peer, ProofLabel.constantTerms, 0), constantTerms(commitments), openings.get(peer)!.proof);
    });

    const sum = (pick: (c: PolynomialCommitments) => EncodedPoint[][]): EncodedPoint[][] =>
      pick(this.myCommitments!).map((coefficients, m) =>
        coefficients.map((_, k) => sumPoints(this.participants.map((id) => pick(this.commitments.get(id)!)[m]![k]!), 'the parties\' commitments')),
      );
    const aShares = this.ePolys.map((poly) => evaluatePolynomial(Fn, poly, myX));
    const bShares = this.fPolys.map((poly) => evaluatePolynomial(Fn, poly, myX));
    const received = new Map<ParticipantId, SharesAndBaseOt>();
    for (const peer of this.peers) {
      const withPoints = this.role(peer) === 'ot-receiver';
      const message = this.fromPeer('round-2/private-shares', peer, () =>
        decodeSharesAndBaseOt(this.received(Tag.sharesAndBaseOtReceiverPoints, peer), this.shape, withPoints),
      );
      received.set(peer, message);
      for (let m = 0; m < batchSize; m += 1) {
        aShares[m] = Fn.add(aShares[m]!, message.eShares[m]!);
        bShares[m] = Fn.add(bShares[m]!, message.fShares[m]!);
      }
    }
    this.aggregates = { e: sum((c) => c.e), f: sum((c) => c.f), l: sum((c) => c.l), aShares, bShares };
    // My total shares must lie on the summed commitments; only if not, find whose shares do not.
    const total = new LinearCheck(this.rng);
    for (let m = 0; m < batchSize; m += 1) {
      addShareEquation(total, aShares[m]!, this.aggregates.e[m]!, myX);
      addShareEquation(total, bShares[m]!, this.aggregates.f[m]!, myX);
    }
    if (!total.holds()) {
      this.verifyPerPeer('round-2/private-shares', 'shares do not match the commitments', (peer, check) => {
        const { eShares, fShares } = received.get(peer)!;
        const { e, f } = this.commitments.get(peer)!;
        eShares.forEach((share, m) => addShareEquation(check, share, e[m]!, myX));
        fShares.forEach((share, m) => addShareEquation(check, share, f[m]!, myX));
      });
      throw new ProtocolAbort(TRIPLES_PROTOCOL, 'round-2/private-shares', 'my own shares do not match my commitments');
    }

    for (const [peer, pair] of this.pairs) {
      if (pair.role !== 'ot-receiver') continue;
      const correction = this.fromPeer('round-2/base-ot', peer, () => pair.otReceiver!.extend(received.get(peer)!.baseOtPoints!));
      this.sendPrivate(peer, encodeOtCorrection(correction));
    }

    const bigB = this.aggregates.f.map((coefficients) => coefficients[0]!);
    const products = this.ePolys.map((poly, m) => multiplySecret(bigB[m]!, poly[0]!));
    const proofs = this.ePolys.map((poly, m) =>
      proveDlogEq(this.proofTranscript(this.me, ProofLabel.product, m), poly[0]!, bigB[m]!, this.myCommitments!.e[m]![0]!, products[m]!, this.rng),
    );
    this.products = products;
    this.broadcast(encodeProductCommitments({ products, proofs }));
  }

  private round4(): void {
    const bigB = this.aggregates!.f.map((coefficients) => coefficients[0]!);
    const messages = new Map<ParticipantId, ProductCommitments>();
    for (const peer of this.peers) {
      const message = this.fromPeer('round-3/product-commitments', peer, () => decodeProductCommitments(this.received(Tag.productCommitments, peer), this.shape));
      messages.set(peer, message);
    }
    this.verifyPerPeer('round-3/dlog-eq-proof', 'a proof that C = e(0)·F(0) is invalid', (peer, check) => {
      const { products, proofs } = messages.get(peer)!;
      const eCommitments = this.commitments.get(peer)!.e;
      products.forEach((product, m) => check.addDlogEq(this.proofTranscript(peer, ProofLabel.product, m), bigB[m]!, eCommitments[m]![0]!, product, proofs[m]!));
    });
    this.products = this.products.map((own, m) => sumPoints([own, ...[...messages.values()].map((message) => message.products[m]!)], 'the products C'));
    for (const [peer, pair] of this.pairs) {
      if (pair.role !== 'ot-sender') continue;
      const challenge = this.fromPeer('ot-extension/correction', peer, () =>
        pair.otSender!.receiveCorrection(decodeOtCorrection(this.received(Tag.otCorrection, peer), this.shape)),
      );
      this.sendPrivate(peer, encodeOtChallenge(challenge));
    }
  }

  private round5(): void {
    for (const [peer, pair] of this.pairs) {
      if (pair.role !== 'ot-receiver') continue;
      const challenge = this.fromPeer('ot-extension/challenge', peer, () => decodeOtChallenge(this.received(Tag.otChallenge, peer)));
      this.sendPrivate(peer, encodeOtCheckAnswer(pair.otReceiver!.answerChallenge(challenge)));
    }
  }

  /** MTA inputs, instance order [a·b′ for every triple, then b·a′]: the OT sender's side. */
  private senderInputs(): bigint[] {
    return [...this.ePolys.map((poly) => poly[0]!), ...this.fPolys.map((poly) => poly[0]!)];
  }

  private receiverInputs(): bigint[] {
    return [...this.fPolys.map((poly) => poly[0]!), ...this.ePolys.map((poly) => poly[0]!)];
  }

  private round6(): void {
    for (const [peer, pair] of this.pairs) {
      if (pair.role !== 'ot-sender') continue;
      const answer = this.fromPeer('ot-extension/consistency-check', peer, () => decodeOtCheckAnswer(this.received(Tag.otCheckAnswer, peer)));
      if (!pair.otSender!.check(answer)) {
        throw new ProtocolAbort(TRIPLES_PROTOCOL, 'ot-extension/consistency-check', 'the OT extension consistency check failed', peer);
      }
      const { messages0, messages1 } = pair.otSender!.output();
      const { corrections, v0 } = mtaSenderCorrections(messages0, messages1, this.senderInputs());
      pair.v0 = v0;
      this.sendPrivate(peer, encodeMtaCorrections(corrections));
    }
  }

  private round7(): void {
    for (const [peer, pair] of this.pairs) {
      if (pair.role !== 'ot-receiver') continue;
      const corrections = this.fromPeer('mta/corrections', peer, () => decodeMtaCorrections(this.received(Tag.mtaCorrections, peer), this.shape));
      const { choices, messages } = pair.otReceiver!.output();
      const { shares, seed, firstCoefficients } = mtaReceive(choices, messages, corrections, this.receiverInputs(), this.rng);
      pair.shares = shares;
      this.sendPrivate(peer, encodeMtaCoefficients({ seed, firstCoefficients }));
    }
  }

  private round8(): void {
    const { batchSize } = this.shape;
    for (const [peer, pair] of this.pairs) {
      if (pair.role !== 'ot-sender') continue;
      const message = this.fromPeer('mta/coefficients', peer, () => decodeMtaCoefficients(this.received(Tag.mtaCoefficients, peer), this.shape));
      pair.shares = mtaSenderShares(pair.v0!, this.senderInputs(), message.seed, message.firstCoefficients);
      pair.v0 = undefined;
    }
    // cᵢ = eᵢ(0)·fᵢ(0) + Σ_pairs (share of eᵢ(0)·fⱼ(0) + share of fᵢ(0)·eⱼ(0))
    this.productShares = this.ePolys.map((poly, m) => {
      let share = Fn.mul(poly[0]!, this.fPolys[m]![0]!);
      for (const pair of this.pairs.values()) share = Fn.add(share, Fn.add(pair.shares![m]!, pair.shares![batchSize + m]!));
      return share;
    });
    const commitments = this.productShares.map(multiplyGenerator);
    const proof = proveDlogs(this.proofTranscript(this.me, ProofLabel.productShares, 0), this.productShares, commitments, this.rng);
    this.myMultiplicationCommitments = commitments;
    this.broadcast(encodeMultiplicationCommitments({ commitments, proof }));
    for (const peer of this.peers) {
      const x = participantScalar(peer);
      this.sendPrivate(peer, encodeProductShares(this.lPolys.map((poly, m) => Fn.add(evaluatePolynomial(Fn, poly, x), this.productShares[m]!))));
    }
  }

  private finish(): void {
    const { batchSize, threshold } = this.shape;
    const myX = participantScalar(this.me);
    const aggregates = this.aggregates!;
    const cShares = this.lPolys.map((poly, m) => Fn.add(evaluatePolynomial(Fn, poly, myX), this.productShares[m]!));
    const messages = new Map<ParticipantId, MultiplicationCommitments>();
    const received = new Map<ParticipantId, bigint[]>();
    for (const peer of this.peers) {
      const message = this.fromPeer('round-8/multiplication-commitments', peer, () =>
        decodeMultiplicationCommitments(this.received(Tag.multiplicationCommitments, peer), this.shape),
      );
      messages.set(peer, message);
      const shares = this.fromPeer('round-8/product-shares', peer, () => decodeProductShares(this.received(Tag.productShares, peer), this.shape));
      received.set(peer, shares);
      shares.forEach((share, m) => (cShares[m] = Fn.add(cShares[m]!, share)));
    }
    this.verifyPerPeer('round-8/dlog-proof', 'the proof of knowledge of the product shares is invalid', (peer, check) => {
      const { commitments, proof } = messages.get(peer)!;
      check.addDlogs(this.proofTranscript(peer, ProofLabel.productShares, 0), commitments, proof);
    });
    for (let m = 0; m < batchSize; m += 1) {
      const sum = addPoints([this.myMultiplicationCommitments[m]!, ...[...messages.values()].map((message) => message.commitments[m]!)]);
      if (sum === undefined || !equalBytes(sum, this.products[m]!)) {
        // Σ Ĉᵢ ≠ a·b·G: some multiplication (MTA) input was wrong; the culprit is not identifiable.
        throw new ProtocolAbort(TRIPLES_PROTOCOL, 'final/multiplication-check', `triple ${m}: the product shares do not add up to C = a·B`);
      }
    }
    // c(me)·G = C + Σₖ meᵏ·Lₖ (C = Σ Ĉᵢ was just checked); only if not, find whose shares do not match.
    const total = new LinearCheck(this.rng);
    cShares.forEach((share, m) => addShareEquation(total, share, [this.products[m]!, ...aggregates.l[m]!], myX));
    if (!total.holds()) {
      this.verifyPerPeer('round-8/product-shares', 'product shares do not match the commitments', (peer, check) => {
        // Peer's polynomial lⱼ + cⱼ is committed by (Ĉⱼ, Lⱼ,₁ … Lⱼ,ₜ₋₁).
        const lCommitments = this.commitments.get(peer)!.l;
        const { commitments } = messages.get(peer)!;
        received.get(peer)!.forEach((share, m) => addShareEquation(check, share, [commitments[m]!, ...lCommitments[m]!], myX));
      });
      throw new ProtocolAbort(TRIPLES_PROTOCOL, 'round-8/product-shares', 'my own product shares do not match my commitments');
    }
    this.output = Array.from({ length: batchSize }, (_, m) => ({
      share: { a: aggregates.aShares[m]!, b: aggregates.bShares[m]!, c: cShares[m]! },
      pub: {
        participants: this.participants,
        threshold,
        bigA: compressPoint(aggregates.e[m]![0]!),
        bigB: compressPoint(aggregates.f[m]![0]!),
        bigC: compressPoint(this.products[m]!),
      },
    }));
  }

  /**
   * Builds one check per peer, verifies them all in one MSM, and only when that fails checks
   * them one by one to name the culprit.
   */
  private verifyPerPeer(step: string, failure: string, build: (peer: ParticipantId, check: LinearCheck) => void): void {
    const checks = new Map<ParticipantId, LinearCheck>();
    for (const peer of this.peers) {
      const check = new LinearCheck(this.rng);
      build(peer, check);
      checks.set(peer, check);
    }
    if (LinearCheck.allHold([...checks.values()])) return;
    for (const [peer, check] of checks) if (!check.holds()) throw new ProtocolAbort(TRIPLES_PROTOCOL, step, failure, peer);
    throw new ProtocolAbort(TRIPLES_PROTOCOL, step, failure);
  }
}

/** E(0) of every triple, then F(0): the statements of a party's round-2 proof. */
function constantTerms(commitments: PolynomialCommitments): EncodedPoint[] {
  return [...commitments.e.map((e) => e[0]!), ...commitments.f.map((f) => f[0]!)];
}

/** Adds the weighted equation share·G − Σₖ xᵏ·Commitmentₖ = 0 (a Feldman share check). */
function addShareEquation(check: LinearCheck, share: bigint, commitments: readonly EncodedPoint[], x: bigint): void {
  const rho = check.weight();
  check.addBase(rho * share);
  let power = Fn.neg(rho);
  for (const commitment of commitments) {
    check.addTerm(commitment, power);
    power = Fn.mul(power, x);
  }
}
