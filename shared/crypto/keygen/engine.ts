/**
 * The state machine shared by DKG, reshare and refresh. Each is a set of dealers handing a set of
 * receivers shares of Feldman-committed polynomials, in two message rounds:
 *
 *   1. every dealer broadcasts its commitments (DKG adds a proof of knowledge of the constant term);
 *   2. once every dealer's broadcast is in and valid, every receiver broadcasts an echo — the hash of
 *      every dealer's broadcast as it received it, bound to the instance — and every dealer sends
 *      each receiver its private share (as frost-rs does, only after checking all round-1 messages).
 *
 * A receiver finishes only when every echo equals its own, so two honest receivers that both finish
 * saw identical commitments from every dealer: a dealer that broadcast different commitments to
 * different receivers is caught before anyone outputs a share. The output is Σ of the dealt shares,
 * with the public key and verifying shares read off the summed commitments.
 *
 * Untrusted input never throws out of `message()`: the first problem is recorded and thrown as a
 * {@link ProtocolAbort} by the next `poke()`. Anything but exactly one expected message per (kind,
 * sender) of this instance aborts the run: the transport delivers each message once, so a duplicate
 * is a replay, and a message for another instance or from a non-participant is a routing fault or an
 * attack; either way the run cannot be trusted.
 */
import { equalBytes } from '@noble/curves/utils.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { ByteWriter } from '../../codec/binary.js';
import { DecodeError, ProtocolAbort } from '../errors.js';
import type { CurveId, GroupPoint } from '../group.js';
import type { KeyShare } from '../key-share.js';
import { evaluatePolynomial, participantScalar } from '../polynomial.js';
import type { Action, ParticipantId, Protocol } from '../protocol.js';
import { decodeKeygenMessage, encodeKeygenMessage, INSTANCE_BYTES, type KeygenMessage } from './messages.js';
import { evaluatePublicCommitment, type KeygenSuite } from './suite.js';

/** A dealer's round-1 broadcast as received, with its exact bytes (the echo hashes those). */
export interface Dealing<P> {
  readonly commitments: readonly P[];
  readonly proofOfKnowledge: Uint8Array;
  readonly bytes: Uint8Array;
}

/** What this party deals, when it is a dealer. */
export interface OwnPolynomial<P> {
  /** Secret coefficients c₀ … c_{t−1}. */
  readonly coefficients: readonly bigint[];
  /** Their Feldman commitments cₖ·G. */
  readonly commitments: readonly P[];
  /** DKG: proof of knowledge of c₀; reshare: empty. */
  readonly proofOfKnowledge: Uint8Array;
}

export interface EngineSetup<P extends GroupPoint<P>> {
  readonly suite: KeygenSuite<P>;
  readonly curve: CurveId;
  /** Names the run in aborts: "keygen", "reshare" or "refresh". */
  readonly protocol: string;
  /** Prefix of abort steps: "dkg" or "reshare". */
  readonly stepPrefix: string;
  readonly instance: Uint8Array;
  readonly me: ParticipantId;
  /** Ascending. */
  readonly dealers: readonly ParticipantId[];
  /** Ascending. */
  readonly receivers: readonly ParticipantId[];
  /** Threshold of the resulting key: every dealing commits to this many coefficients. */
  readonly threshold: number;
  /** Present exactly when `me` is a dealer. */
  readonly polynomial?: OwnPolynomial<P>;
}

export abstract class DealingProtocol<P extends GroupPoint<P>, Output> implements Protocol<Output> {
  protected readonly suite: KeygenSuite<P>;
  protected readonly me: ParticipantId;
  protected readonly dealers: readonly ParticipantId[];
  private readonly setup: Omit<EngineSetup<P>, 'polynomial'>;
  /** This dealer's round-1 broadcast content. */
  private readonly ownDealing: Omit<OwnPolynomial<P>, 'coefficients'> | undefined;
  private readonly isReceiver: boolean;
  private readonly participants: ReadonlySet<ParticipantId>;

  private readonly dealings = new Map<ParticipantId, Dealing<P>>();
  private readonly echoes = new Map<ParticipantId, Uint8Array>();
  private readonly shares = new Map<ParticipantId, bigint>();
  private readonly outbox: Action<Output>[] = [];

  /** Round 1 not yet sent; waiting for every dealing; waiting for every echo and share; returned. */
  private phase: 'start' | 'dealings' | 'echoes-and-shares' | 'done' = 'start';
  /** This party's echo, once sent. */
  private ownDigest: Uint8Array = new Uint8Array();
  /** This dealer's secret polynomial until its shares are out. */
  private coefficients: readonly bigint[] | undefined;
  /** Σ of all dealings' commitments, once every dealing is in. */
  private summed: readonly P[] = [];
  private failure: ProtocolAbort | undefined;

  protected constructor(setup: EngineSetup<P>) {
    if (setup.instance.length !== INSTANCE_BYTES) throw new RangeError('instance binding must be 32 bytes');
    if (setup.dealers.includes(setup.me) !== (setup.polynomial !== undefined)) {
      throw new RangeError(`participant ${setup.me} must have a polynomial exactly when it deals`);
    }
    if (setup.polynomial !== undefined && setup.polynomial.coefficients.length !== setup.threshold) {
      throw new RangeError(`a dealt polynomial needs ${setup.threshold} coefficients`);
    }
    const { polynomial, ...publicSetup } = setup;
    this.setup = publicSetup;
    this.ownDealing = polynomial && { commitments: polynomial.commitments, proofOfKnowledge: polynomial.proofOfKnowledge };
    this.coefficients = polynomial?.coefficients;
    this.suite = setup.suite;
    this.me = setup.me;
    this.dealers = setup.dealers;
    this.isReceiver = setup.receivers.includes(setup.me);
    if (setup.polynomial === undefined && !this.isReceiver) throw new RangeError(`participant ${setup.me} neither deals nor receives`);
    this.participants = new Set([...setup.dealers, ...setup.receivers]);
  }

  /** Checks one other dealer's broadcast beyond its size; aborts via {@link abort} naming the dealer. */
  protected abstract checkDealing(dealer: ParticipantId, dealing: Dealing<P>): void;
  /** Checks the sum of all constant-term commitments (the key the run produces). */
  protected abstract checkPublicKey(publicKey: P): void;
  /** The run's output from this party's new share, or from `undefined` when it only dealt (it leaves the set). */
  protected abstract toOutput(share: KeyShare | undefined): Output;

  /** Records an abort and throws it. */
  protected abort(step: string, message: string, culprit?: ParticipantId): never {
    this.failure ??= new ProtocolAbort(this.setup.protocol, `${this.setup.stepPrefix}/${step}`, message, culprit);
    throw this.failure;
  }

  message(from: ParticipantId, data: Uint8Array): void {
    if (this.failure !== undefined || this.phase === 'done') return;
    try {
      this.receive(from, data);
    } catch (error) {
      if (!(error instanceof ProtocolAbort)) throw error;
    }
  }

  private receive(from: ParticipantId, data: Uint8Array): void {
    if (!this.participants.has(from) || from === this.me) {
      this.abort('receive: not a participant', `message from ${from}, who is not another participant of this instance`, from);
    }
    let message: KeygenMessage<P>;
    try {
      message = decodeKeygenMessage(this.suite.group, data, this.setup.threshold);
    } catch (error) {
      if (!(error instanceof DecodeError)) throw error;
      this.abort('receive: undecodable', error.message, from);
    }
    if (!equalBytes(message.instance, this.setup.instance)) {
      this.abort('receive: other session', 'message belongs to another protocol instance (session id or parameters differ)', from);
    }
    // A party that only deals (it is leaving the set) has nothing to learn from the others.
    if (!this.isReceiver) return;
    switch (message.kind) {
      case 'commitments':
        this.expect(from, 'commitments', this.dealers, this.dealings);
        this.dealings.set(from, { commitments: message.commitments, proofOfKnowledge: message.proofOfKnowledge, bytes: data.slice() });
        return;
      case 'echo':
        this.expect(from, 'echo', this.setup.receivers, this.echoes);
        this.echoes.set(from, message.digest);
        return;
      case 'share':
        this.expect(from, 'share', this.dealers, this.shares);
        this.shares.set(from, message.share);
        return;
    }
  }

  private expect(from: ParticipantId, kind: string, senders: readonly ParticipantId[], received: ReadonlyMap<ParticipantId, unknown>): void {
    if (!senders.includes(from)) this.abort('receive: unexpected', `participant ${from} has no ${kind} message to send in this instance`, from);
    if (received.has(from)) this.abort('receive: duplicate', `second ${kind} message from participant ${from} (replayed or duplicated)`, from);
  }

  poke(): Action<Output> {
    if (this.failure !== undefined) throw this.failure;
    if (this.phase === 'done') throw new Error('protocol already returned its output; it must not be poked again');
    // A phase may complete without sending anything (a joiner's start), so keep going until there is
    // something to do or nothing more can happen with the messages received so far.
    while (this.outbox.length === 0 && this.advance());
    const action = this.outbox.shift() ?? { kind: 'wait' };
    if (action.kind === 'return') this.phase = 'done';
    return action;
  }

  private send(message: KeygenMessage<P>, to?: ParticipantId): Uint8Array {
    const data = encodeKeygenMessage(this.suite.group, message);
    this.outbox.push(to === undefined ? { kind: 'send-many', data } : { kind: 'send-private', to, data });
    return data;
  }

  /** Runs the next phase if its inputs are all here; returns whether it did. */
  private advance(): boolean {
    const { instance, receivers } = this.setup;
    if (this.phase === 'start') {
      this.phase = 'dealings';
      if (this.ownDealing !== undefined) {
        const { commitments, proofOfKnowledge } = this.ownDealing;
        const bytes = this.send({ kind: 'commitments', instance, commitments, proofOfKnowledge });
        this.dealings.set(this.me, { commitments, proofOfKnowledge, bytes });
      }
      return true;
    }
    if (this.phase === 'dealings') {
      // A party that only deals checks nothing and waits for nothing: it sends its shares and is done.
      if (this.isReceiver && this.dealings.size < this.dealers.length) return false;
      this.phase = 'echoes-and-shares';
      if (this.isReceiver) {
        const dealings = this.inDealerOrder(this.dealings);
        for (const [dealer, dealing] of dealings) {
          if (dealer === this.me) continue;
          if (dealing.commitments.length !== this.setup.threshold) {
            this.abort('commitments', `dealer ${dealer} committed to ${dealing.commitments.length} coefficients, expected ${this.setup.threshold}`, dealer);
          }
          this.checkDealing(dealer, dealing);
        }
        this.summed = this.sumCommitments(dealings);
        this.checkSummedCommitments(dealings);
        this.ownDigest = this.digest(dealings);
        this.send({ kind: 'echo', instance, digest: this.ownDigest });
      }
      if (this.coefficients !== undefined) {
        for (const receiver of receivers) {
          const share = evaluatePolynomial(this.suite.group.Fn, this.coefficients, participantScalar(receiver));
          if (receiver === this.me) this.shares.set(receiver, share);
          else this.send({ kind: 'share', instance, share }, receiver);
        }
        // Nothing needs the polynomial any more; do not keep a secret longer than necessary.
        this.coefficients = undefined;
      }
      if (!this.isReceiver) this.outbox.push({ kind: 'return', output: this.toOutput(undefined) });
      return true;
    }
    if (this.phase !== 'echoes-and-shares' || this.echoes.size < receivers.length - 1 || this.shares.size < this.dealers.length) return false;
    for (const receiver of receivers) {
      if (receiver !== this.me && !equalBytes(this.echoes.get(receiver)!, this.ownDigest)) {
        this.abort('echo', `participant ${receiver} received different commitments broadcasts than this party (it or a dealer equivocated)`, receiver);
      }
    }
    const dealings = this.inDealerOrder(this.dealings);
    const { group } = this.suite;
    const myPoint = participantScalar(this.me);
    let privateShare = 0n;
    for (const [dealer, dealing] of dealings) {
      const share = this.shares.get(dealer)!;
      if (dealer !== this.me && !group.scaleBase(share).equals(evaluatePublicCommitment(this.suite, dealing.commitments, myPoint))) {
        this.abort('private-share', `the share from dealer ${dealer} does not match its commitments`, dealer);
      }
      privateShare = group.Fn.add(privateShare, share);
    }
    const verifyingShares = new Map<ParticipantId, Uint8Array>();
    for (const receiver of receivers) {
      const point = evaluatePublicCommitment(this.suite, this.summed, participantScalar(receiver));
      // Only a dealer knowing every other dealer's polynomial could aim the sum at the identity.
      if (point.is0()) this.abort('verifying-share', `participant ${receiver}'s verifying share is the identity`);
      verifyingShares.set(receiver, point.toBytes(true));
    }
    this.outbox.push({
      kind: 'return',
      output: this.toOutput({
        curve: this.setup.curve,
        participants: receivers,
        threshold: this.setup.threshold,
        me: this.me,
        privateShare,
        publicKey: this.summed[0]!.toBytes(true),
        verifyingShares,
      }),
    });
    return true;
  }

  /**
   * The summed commitments define the key and every verifying share, so they must lie in the
   * prime-order subgroup (a small-order component would end up in the public key) and commit to the
   * right key.
   */
  private checkSummedCommitments(dealings: ReadonlyMap<ParticipantId, Dealing<P>>): void {
    if (!this.summed.every((point) => this.suite.isPrimeOrder(point))) {
      const culprit = [...dealings].find(([, dealing]) => !dealing.commitments.every((point) => this.suite.isPrimeOrder(point)))?.[0];
      this.abort('commitments', 'a commitment has a small-order component', culprit);
    }
    this.checkPublicKey(this.summed[0]!);
  }

  private inDealerOrder<V>(values: ReadonlyMap<ParticipantId, V>): ReadonlyMap<ParticipantId, V> {
    return new Map(this.dealers.map((dealer) => [dealer, values.get(dealer)!]));
  }

  /** Coefficient-wise Σ of every dealer's commitments: the commitments of the summed polynomial. */
  private sumCommitments(dealings: ReadonlyMap<ParticipantId, Dealing<P>>): P[] {
    const summed: P[] = Array.from({ length: this.setup.threshold }, () => this.suite.group.identity);
    for (const dealing of dealings.values()) dealing.commitments.forEach((point, k) => (summed[k] = summed[k]!.add(point)));
    return summed;
  }

  /** SHA-256 over the instance and every dealer's commitments broadcast, in dealer order. */
  private digest(dealings: ReadonlyMap<ParticipantId, Dealing<P>>): Uint8Array {
    const writer = new ByteWriter().fixed(this.setup.instance);
    for (const [dealer, dealing] of dealings) writer.u32(dealer).bytes(dealing.bytes);
    return sha256(writer.finish());
  }
}
