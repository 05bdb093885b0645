/**
 * One participant (or the network) misbehaves; the honest parties must abort with a ProtocolAbort
 * naming the step (and the culprit when it is identifiable) and return no key share.
 */
import { ed25519 } from '@noble/curves/ed25519.js';
import { ProtocolAbort } from '../errors.js';
import type { CurveId, GroupPoint } from '../group.js';
import type { KeyShare } from '../key-share.js';
import type { ParticipantId, Protocol } from '../protocol.js';
import { settleProtocols, type Envelope, type SettledRun } from '../runner.js';
import { createDkg } from './dkg.js';
import { COMMITMENTS_TAG, decodeKeygenMessage, ECHO_TAG, encodeKeygenMessage, SHARE_TAG, type KeygenMessage } from './messages.js';
import { createReshare } from './reshare.js';
import { withSuite, type KeygenSuite } from './suite.js';
import { newSessionId, runDkg } from './test-helpers.js';

const CURVES: CurveId[] = ['secp256k1', 'ed25519'];
const PARTICIPANTS = [0, 1, 2, 3];
const THRESHOLD = 3;
const CHEATER = 1;
const HONEST = PARTICIPANTS.filter((id) => id !== CHEATER);

type Kind = KeygenMessage<unknown>['kind'];
const TAGS: Record<Kind, number> = { commitments: COMMITMENTS_TAG, echo: ECHO_TAG, share: SHARE_TAG };
const isKind = (envelope: Envelope, kind: Kind): boolean => envelope.data[1] === TAGS[kind];

interface Rewrite {
  <P extends GroupPoint<P>>(message: KeygenMessage<P>, suite: KeygenSuite<P>): KeygenMessage<P>;
}

/** Decodes a message, changes it and re-encodes it, as a cheating sender would. */
function rewrite(curve: CurveId, data: Uint8Array, change: Rewrite): Uint8Array {
  return withSuite(curve, (suite) => encodeKeygenMessage(suite.group, change(decodeKeygenMessage(suite.group, data, THRESHOLD), suite)));
}

function dkgParties(curve: CurveId, sessionId = newSessionId()): Map<ParticipantId, Protocol<KeyShare>> {
  return new Map(PARTICIPANTS.map((me) => [me, createDkg({ curve, sessionId, participants: PARTICIPANTS, threshold: THRESHOLD, me })]));
}

/** The first broadcast (commitments) of a fresh DKG party. */
function firstBroadcast(protocol: Protocol<unknown>): Uint8Array {
  const action = protocol.poke();
  if (action.kind !== 'send-many') throw new Error(`expected a broadcast, got ${action.kind}`);
  return action.data;
}

function expectAborted<T>(run: SettledRun<T>, parties: readonly ParticipantId[], step: string, culprit?: ParticipantId): void {
  for (const id of parties) {
    const abort = run.aborts.get(id);
    expect(abort).toBeInstanceOf(ProtocolAbort);
    expect(abort!.step).toBe(step);
    if (culprit !== undefined) expect(abort!.culprit).toBe(culprit);
    expect(run.outputs.has(id)).toBe(false);
  }
}

describe.each(CURVES)('DKG on %s against a cheating participant', (curve) => {
  if (curve === 'ed25519') {
    it('a commitment with a small-order component is refused, naming the dealer', () => {
      // (0, −1): the Ed25519 point of order 2. Added to a coefficient the proof of knowledge does not cover.
      const orderTwo = ed25519.Point.fromHex('ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f');
      const run = settleProtocols(dkgParties(curve), {
        intercept: (envelope) =>
          envelope.from === CHEATER && isKind(envelope, 'commitments')
            ? [
                {
                  ...envelope,
                  data: rewrite(curve, envelope.data, (m, { group }) =>
                    m.kind === 'commitments' ? { ...m, commitments: m.commitments.map((c, k) => (k === 1 ? c.add(group.pointFromBytes(orderTwo.toBytes())) : c)) } : m,
                  ),
                },
              ]
            : [envelope],
      });
      expectAborted(run, HONEST, 'dkg/commitments', CHEATER);
    });
  }

  it('a corrupted private share is caught by its recipient, naming the dealer', () => {
    const run = settleProtocols(dkgParties(curve), {
      intercept: (envelope) =>
        envelope.from === CHEATER && envelope.to === 2 && isKind(envelope, 'share')
          ? [{ ...envelope, data: rewrite(curve, envelope.data, (m, { group }) => (m.kind === 'share' ? { ...m, share: group.Fn.add(m.share, 1n) } : m)) }]
          : [envelope],
    });
    expectAborted(run, [2], 'dkg/private-share', CHEATER);
    expect(run.aborts.get(2)!.protocol).toBe('keygen');
  });

  it('a bad proof of knowledge makes every honest party abort, naming the dealer', () => {
    const run = settleProtocols(dkgParties(curve), {
      intercept: (envelope) =>
        envelope.from === CHEATER && isKind(envelope, 'commitments')
          ? [
              {
                ...envelope,
                data: rewrite(curve, envelope.data, (m) => {
                  if (m.kind !== 'commitments') return m;
                  const proofOfKnowledge = m.proofOfKnowledge.slice();
                  proofOfKnowledge[proofOfKnowledge.length - 5] ^= 1;
                  return { ...m, proofOfKnowledge };
                }),
              },
            ]
          : [envelope],
    });
    expectAborted(run, HONEST, 'dkg/proof-of-knowledge', CHEATER);
  });

  it('a proof of knowledge made for another participant id is refused (rogue-key protection)', () => {
    const sessionId = newSessionId();
    const parties = dkgParties(curve, sessionId);
    // The cheater copies party 3's valid round-1 broadcast as its own.
    const copied = firstBroadcast(createDkg({ curve, sessionId, participants: PARTICIPANTS, threshold: THRESHOLD, me: 3 }));
    const run = settleProtocols(parties, {
      intercept: (envelope) => (envelope.from === CHEATER && isKind(envelope, 'commitments') ? [{ ...envelope, data: copied }] : [envelope]),
    });
    expectAborted(run, HONEST, 'dkg/proof-of-knowledge', CHEATER);
  });

  it('an inconsistent broadcast (different valid commitments to one peer) is caught by the echo round before any output', () => {
    const sessionId = newSessionId();
    const parties = dkgParties(curve, sessionId);
    const otherDealing = firstBroadcast(createDkg({ curve, sessionId, participants: PARTICIPANTS, threshold: THRESHOLD, me: CHEATER }));
    const run = settleProtocols(parties, {
      intercept: (envelope) =>
        envelope.from === CHEATER && envelope.to === 3 && isKind(envelope, 'commitments') ? [{ ...envelope, data: otherDealing }] : [envelope],
    });
    expect(run.outputs.size).toBe(0);
    // Party 3 saw something the others did not: they name it, and it names the first that disagrees.
    expectAborted(run, [0, 2], 'dkg/echo', 3);
    expectAborted(run, [3], 'dkg/echo', 0);
  });

  it.each(['commitments', 'echo', 'share'] as const)('a duplicated (replayed) %s message aborts its recipient, naming the sender', (kind) => {
    const run = settleProtocols(dkgParties(curve), {
      intercept: (envelope) => (envelope.from === CHEATER && envelope.to === 2 && isKind(envelope, kind) ? [envelope, envelope] : [envelope]),
    });
    expectAborted(run, [2], 'dkg/receive: duplicate', CHEATER);
  });

  it('a message from a non-participant aborts its recipient, naming the sender', () => {
    const run = settleProtocols(dkgParties(curve), {
      intercept: (envelope) => (envelope.from === CHEATER && envelope.to === 2 && isKind(envelope, 'commitments') ? [envelope, { ...envelope, from: 9 }] : [envelope]),
    });
    expectAborted(run, [2], 'dkg/receive: not a participant', 9);
  });

  it('a message from another session is refused even though it is otherwise valid', () => {
    const otherSession = firstBroadcast(createDkg({ curve, sessionId: newSessionId(), participants: PARTICIPANTS, threshold: THRESHOLD, me: CHEATER }));
    const run = settleProtocols(dkgParties(curve), {
      intercept: (envelope) =>
        envelope.from === CHEATER && envelope.to === 2 && isKind(envelope, 'commitments') ? [{ ...envelope, data: otherSession }] : [envelope],
    });
    expectAborted(run, [2], 'dkg/receive: other session', CHEATER);
  });

  it('a party configured with another threshold is treated as another session', () => {
    const sessionId = newSessionId();
    const parties = dkgParties(curve, sessionId);
    parties.set(CHEATER, createDkg({ curve, sessionId, participants: PARTICIPANTS, threshold: 2, me: CHEATER }));
    const run = settleProtocols(parties);
    expectAborted(run, HONEST, 'dkg/receive: other session', CHEATER);
  });

  it('undecodable bytes abort the recipient, naming the sender; later messages are ignored and poke keeps throwing', () => {
    const parties = dkgParties(curve);
    const run = settleProtocols(parties, {
      intercept: (envelope) => (envelope.from === CHEATER && envelope.to === 2 && isKind(envelope, 'echo') ? [{ ...envelope, data: envelope.data.subarray(0, 10) }] : [envelope]),
    });
    expectAborted(run, [2], 'dkg/receive: undecodable', CHEATER);
    const victim = parties.get(2)!;
    expect(() => victim.message(0, new Uint8Array(3))).not.toThrow();
    expect(() => victim.poke()).toThrow(run.aborts.get(2)!);
  });

  it('poking a party after it returned is a programming error', () => {
    const parties = dkgParties(curve);
    const run = settleProtocols(parties);
    expect(run.outputs.size).toBe(PARTICIPANTS.length);
    expect(() => parties.get(0)!.poke()).toThrow(/already returned/);
  });
});

describe.each(CURVES)('reshare on %s against a cheating dealer', (curve) => {
  const OLD = [0, 1, 2, 3, 4];
  const NEW = [0, 1, 2, 5, 6];
  const LEAVING_CHEATER = 4;

  function reshareParties(
    old: ReadonlyMap<ParticipantId, KeyShare>,
    tamperedOldShare?: KeyShare,
    sessionId = newSessionId(),
  ): Map<ParticipantId, Protocol<KeyShare | undefined>> {
    const publicKey = old.get(0)!.publicKey;
    return new Map(
      [...new Set([...OLD, ...NEW])].map((me) => {
        const oldShare = me === LEAVING_CHEATER && tamperedOldShare !== undefined ? tamperedOldShare : old.get(me);
        return [
          me,
          createReshare({ curve, sessionId, me, publicKey, dealers: OLD, oldThreshold: 3, newParticipants: NEW, newThreshold: 3, ...(oldShare ? { oldShare } : {}) }),
        ];
      }),
    );
  }

  it('a dealer dealing the wrong secret is named by old holders; joiners see the key does not add up', () => {
    const old = runDkg(curve, OLD, 3);
    const real = old.get(LEAVING_CHEATER)!;
    const run = settleProtocols(reshareParties(old, { ...real, privateShare: real.privateShare + 1n }));
    expectAborted(run, [0, 1, 2], 'reshare/constant-term', LEAVING_CHEATER);
    expectAborted(run, [5, 6], 'reshare/public-key');
    expect(run.aborts.get(5)!.culprit).toBeUndefined();
  });

  it('a dealer sending one receiver another valid dealing of the same secret is caught by the echo round', () => {
    const old = runDkg(curve, OLD, 3);
    const sessionId = newSessionId();
    const parties = reshareParties(old, undefined, sessionId);
    const otherDealing = firstBroadcast(reshareParties(old, undefined, sessionId).get(LEAVING_CHEATER)!);
    const run = settleProtocols(parties, {
      intercept: (envelope) =>
        envelope.from === LEAVING_CHEATER && envelope.to === 6 && isKind(envelope, 'commitments') ? [{ ...envelope, data: otherDealing }] : [envelope],
    });
    expect([...run.outputs.values()].filter((output) => output !== undefined)).toHaveLength(0);
    expectAborted(run, [0, 1, 2, 5], 'reshare/echo', 6);
    expectAborted(run, [6], 'reshare/echo', 0);
  });

  it('a corrupted reshare share is caught by its recipient, naming the dealer', () => {
    const old = runDkg(curve, OLD, 3);
    const run = settleProtocols(reshareParties(old), {
      intercept: (envelope) =>
        envelope.from === LEAVING_CHEATER && envelope.to === 5 && isKind(envelope, 'share')
          ? [{ ...envelope, data: rewrite(curve, envelope.data, (m, { group }) => (m.kind === 'share' ? { ...m, share: group.Fn.add(m.share, 1n) } : m)) }]
          : [envelope],
    });
    expectAborted(run, [5], 'reshare/private-share', LEAVING_CHEATER);
    expect(run.outputs.get(LEAVING_CHEATER)).toBeUndefined();
  });
});
