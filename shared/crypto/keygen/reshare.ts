/**
 * Resharing an existing key to a new participant set and threshold, and refreshing shares in place,
 * without the key ever existing in one place. Each old holder i taking part (the dealers; at least
 * the old threshold of them) deals λᵢ·xᵢ — its Lagrange-weighted share, so the dealt constants sum to
 * the key x — with a fresh degree-(t′−1) polynomial and Feldman commitments. Each new participant j
 * adds up fᵢ(j + 1) over all dealers; the sum is a fresh t′-of-n′ sharing of the same x.
 *
 * Checks, on top of the shared engine's echo and share checks: Σ of the constant-term commitments must
 * equal the public key; a party that knows the old verifying shares Xᵢ (any old holder) also checks
 * each dealer's constant term Cᵢ₀ = λᵢ·Xᵢ, which names the dealer that dealt the wrong secret.
 * Parties that join hold no old share and only receive; parties that leave only deal and end with
 * no share (output `undefined`).
 */
import { equalBytes } from '@noble/curves/utils.js';
import type { CurveId, GroupPoint } from '../group.js';
import type { KeyShare } from '../key-share.js';
import { commitPolynomial, lagrangeCoefficient, randomPolynomial } from '../polynomial.js';
import { ascending, assertParticipantSet, type ParticipantId, type Protocol } from '../protocol.js';
import { assertKeygenParameters } from './dkg.js';
import { DealingProtocol, type Dealing, type OwnPolynomial } from './engine.js';
import { instanceBinding } from './messages.js';
import { withSuite, type KeygenSuite } from './suite.js';

export interface ReshareConfig {
  readonly curve: CurveId;
  /** Caller-chosen id of this run, identical at every participant and never reused. */
  readonly sessionId: Uint8Array;
  readonly me: ParticipantId;
  /** The key being kept (compressed), as every participant knows it from the contract. */
  readonly publicKey: Uint8Array;
  /**
   * Holders of the current key that deal in this run: at least `oldThreshold` of them, and every one
   * must take part (the run waits for all). Any old holder not listed neither deals nor, unless it is
   * in `newParticipants`, ends with a share.
   */
  readonly dealers: readonly ParticipantId[];
  readonly oldThreshold: number;
  readonly newParticipants: readonly ParticipantId[];
  readonly newThreshold: number;
  /** This party's share of the current key: required when it deals, optional otherwise (it then adds per-dealer checks). */
  readonly oldShare?: KeyShare;
  /** Randomness source (tests make runs reproducible with it); defaults to the system CSPRNG. */
  readonly rng?: (length: number) => Uint8Array;
}

export interface RefreshConfig {
  /** This party's current share; every holder of the key must take part. */
  readonly share: KeyShare;
  readonly sessionId: Uint8Array;
  readonly rng?: (length: number) => Uint8Array;
}

/**
 * Starts one participant's reshare run. The output is its new {@link KeyShare}, or `undefined` for a
 * dealer that is not in the new set. Configuration errors are RangeErrors, thrown here.
 */
export function createReshare(config: ReshareConfig): Protocol<KeyShare | undefined> {
  return withSuite<Protocol<KeyShare | undefined>>(config.curve, (suite) => new ReshareProtocol(suite, config, 'reshare', (share) => share));
}

/**
 * Starts one participant's refresh run: the same participants and threshold get fresh shares of the
 * same key, and shares from before the refresh do not combine with shares from after it. It is a
 * reshare in which every holder deals and receives.
 */
export function createRefresh(config: RefreshConfig): Protocol<KeyShare> {
  const { share } = config;
  const reshare: ReshareConfig = {
    curve: share.curve,
    sessionId: config.sessionId,
    me: share.me,
    publicKey: share.publicKey,
    dealers: share.participants,
    oldThreshold: share.threshold,
    newParticipants: share.participants,
    newThreshold: share.threshold,
    oldShare: share,
    ...(config.rng === undefined ? {} : { rng: config.rng }),
  };
  return withSuite<Protocol<KeyShare>>(share.curve, (suite) => new ReshareProtocol(suite, reshare, 'refresh', (output) => {
    if (output === undefined) throw new Error('every refresh participant receives a share');
    return output;
  }));
}

class ReshareProtocol<P extends GroupPoint<P>, Output> extends DealingProtocol<P, Output> {
  private readonly publicKey: P;
  /** λᵢ·Xᵢ for every dealer i, when this party knows the old verifying shares. */
  private readonly expectedConstants: ReadonlyMap<ParticipantId, P> | undefined;

  constructor(
    suite: KeygenSuite<P>,
    config: ReshareConfig,
    protocol: 'reshare' | 'refresh',
    private readonly output: (share: KeyShare | undefined) => Output,
  ) {
    const { group } = suite;
    assertKeygenParameters(config.sessionId, config.newParticipants, config.newThreshold);
    assertParticipantSet(config.dealers);
    if (!Number.isInteger(config.oldThreshold) || config.oldThreshold < 1 || config.dealers.length < config.oldThreshold) {
      throw new RangeError(`${config.dealers.length} dealers cannot reshare a key of threshold ${config.oldThreshold}`);
    }
    const dealers = ascending(config.dealers);
    const receivers = ascending(config.newParticipants);
    let publicKey: P;
    try {
      publicKey = group.pointFromBytes(config.publicKey);
    } catch (error) {
      throw new RangeError(`public key is not a valid ${config.curve} point`, { cause: error });
    }
    if (!suite.isPrimeOrder(publicKey)) throw new RangeError('public key has a small-order component');
    const { oldShare } = config;
    if (oldShare !== undefined) assertOldShare(oldShare, config, dealers);
    else if (dealers.includes(config.me)) throw new RangeError(`dealer ${config.me} needs its old share`);

    super({
      suite,
      curve: config.curve,
      protocol,
      stepPrefix: protocol,
      instance: instanceBinding({
        protocol: 'reshare',
        curve: config.curve,
        sessionId: config.sessionId,
        dealers,
        receivers,
        threshold: config.newThreshold,
        publicKey: publicKey.toBytes(true),
        oldThreshold: config.oldThreshold,
      }),
      me: config.me,
      dealers,
      receivers,
      threshold: config.newThreshold,
      ...(dealers.includes(config.me) ? { polynomial: dealtPolynomial(suite, oldShare!, dealers, config.newThreshold, config.rng) } : {}),
    });
    this.publicKey = publicKey;
    this.expectedConstants =
      oldShare === undefined
        ? undefined
        : new Map(
            dealers.map((dealer) => [
              dealer,
              suite.publicCombination([group.pointFromBytes(oldShare.verifyingShares.get(dealer)!)], [lagrangeCoefficient(group.Fn, dealers, dealer)]),
            ]),
          );
  }

  protected checkDealing(dealer: ParticipantId, dealing: Dealing<P>): void {
    if (dealing.proofOfKnowledge.length !== 0) this.abort('commitments', `dealer ${dealer} attached a proof of knowledge, which resharing does not use`, dealer);
    const expected = this.expectedConstants?.get(dealer);
    if (expected !== undefined && !dealing.commitments[0]!.equals(expected)) {
      this.abort('constant-term', `dealer ${dealer} did not deal its Lagrange-weighted share of the key`, dealer);
    }
  }

  protected checkPublicKey(publicKey: P): void {
    if (!publicKey.equals(this.publicKey)) this.abort('public-key', 'the dealt constant terms do not add up to the public key');
  }

  protected toOutput(share: KeyShare | undefined): Output {
    return this.output(share);
  }
}

function assertOldShare(oldShare: KeyShare, config: ReshareConfig, dealers: readonly ParticipantId[]): void {
  if (oldShare.curve !== config.curve) throw new RangeError(`old share is on ${oldShare.curve}, not ${config.curve}`);
  if (oldShare.me !== config.me) throw new RangeError(`old share belongs to participant ${oldShare.me}, not ${config.me}`);
  if (!equalBytes(oldShare.publicKey, config.publicKey)) throw new RangeError('old share is of another key');
  if (oldShare.threshold !== config.oldThreshold) throw new RangeError(`old share has threshold ${oldShare.threshold}, not ${config.oldThreshold}`);
  for (const dealer of dealers) {
    if (!oldShare.verifyingShares.has(dealer)) throw new RangeError(`dealer ${dealer} holds no share of the current key`);
  }
}

/** f with f(0) = λ_me·x_me over the dealer set, degree t′ − 1, and its commitments. */
function dealtPolynomial<P extends GroupPoint<P>>(
  suite: KeygenSuite<P>,
  oldShare: KeyShare,
  dealers: readonly ParticipantId[],
  newThreshold: number,
  rng: ReshareConfig['rng'],
): OwnPolynomial<P> {
  const { group } = suite;
  const constant = group.Fn.mul(lagrangeCoefficient(group.Fn, dealers, oldShare.me), oldShare.privateShare);
  const coefficients = randomPolynomial(group.Fn, constant, newThreshold - 1, rng);
  return { coefficients, commitments: commitPolynomial(group, coefficients), proofOfKnowledge: new Uint8Array() };
}
