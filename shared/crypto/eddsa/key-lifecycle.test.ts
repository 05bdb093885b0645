import { ed25519 } from '@noble/curves/ed25519.js';
import { deriveTweak } from '../kdf.js';
import type { KeyShare } from '../key-share.js';
import { createRefresh, createReshare } from '../keygen/index.js';
import { newSessionId } from '../keygen/test-helpers.js';
import type { ParticipantId, Protocol } from '../protocol.js';
import { runProtocols, settleProtocols } from '../runner.js';
import { InvalidSignatureShares } from './sign.js';
import { coordinatorSignature, derivedPublicKeyOf, dkgKeyShares, signingParties } from './test-fixtures.js';
import { verifyEd25519Native } from '../ed25519-native.js';

const tweak = deriveTweak('dave.near', 'solana,main');
const payload = new TextEncoder().encode('signed after a key lifecycle event');

function signsUnder(keys: ReadonlyMap<ParticipantId, KeyShare>, signers: readonly ParticipantId[], derived: Uint8Array): boolean {
  const coordinator = signers[0]!;
  const run = runProtocols(signingParties(keys, { signers, coordinator, payload, tweak }));
  const signature = coordinatorSignature(run.outputs, coordinator);
  return verifyEd25519Native(signature, payload, derived) && ed25519.verify(signature, payload, derived, { zip215: false });
}

function reshare(old: ReadonlyMap<ParticipantId, KeyShare>, newParticipants: readonly ParticipantId[], newThreshold: number): Map<ParticipantId, KeyShare> {
  const any = [...old.values()][0]!;
  const dealers = any.participants;
  const sessionId = newSessionId();
  const everyone = [...new Set([...dealers, ...newParticipants])];
  const parties = new Map<ParticipantId, Protocol<KeyShare | undefined>>(
    everyone.map((me) => {
      const oldShare = old.get(me);
      const config = { curve: any.curve, sessionId, me, publicKey: any.publicKey, dealers, oldThreshold: any.threshold, newParticipants, newThreshold };
      return [me, createReshare(oldShare === undefined ? config : { ...config, oldShare })];
    }),
  );
  const { outputs } = runProtocols(parties);
  return new Map(newParticipants.map((p) => [p, outputs.get(p)!]));
}

describe('FROST signing across the key lifecycle (DKG, reshare, refresh)', () => {
  it('a reshared 4-of-6 key (two holders replaced) signs under the same derived key; old and new shares do not mix', () => {
    const old = dkgKeyShares(3, [0, 1, 2, 3, 4]);
    const derived = derivedPublicKeyOf(old.get(0)!, tweak);
    expect(signsUnder(old, [2, 3, 4], derived)).toBe(true);

    const fresh = reshare(old, [0, 1, 2, 5, 6, 7], 4);
    expect(derivedPublicKeyOf(fresh.get(5)!, tweak)).toEqual(derived);
    expect(signsUnder(fresh, [1, 2, 5, 7], derived)).toBe(true);
    expect(signsUnder(fresh, [0, 5, 6, 7], derived)).toBe(true);

    // A pre-reshare share is refused for the new signing set outright…
    expect(() => signingParties(new Map(fresh).set(1, old.get(1)!), { signers: [0, 1, 5, 6], coordinator: 0, payload, tweak })).toThrow(/hold no share/);
    // …and a stale secret under the new share's metadata gives a share the coordinator rejects.
    const mixed = new Map(fresh).set(1, { ...fresh.get(1)!, privateShare: old.get(1)!.privateShare });
    const run = settleProtocols(signingParties(mixed, { signers: [0, 1, 5, 6], coordinator: 0, payload, tweak }));
    expect(run.aborts.get(0)).toBeInstanceOf(InvalidSignatureShares);
    expect(run.aborts.get(0)).toMatchObject({ culprits: [1] });
    expect(run.outputs.has(0)).toBe(false);
  });

  it('refreshed shares sign under the same derived key', () => {
    const participants = [3, 6, 9];
    const old = dkgKeyShares(2, participants);
    const derived = derivedPublicKeyOf(old.get(3)!, tweak);
    const sessionId = newSessionId();
    const { outputs } = runProtocols(new Map(participants.map((me) => [me, createRefresh({ share: old.get(me)!, sessionId })])));
    const fresh = new Map(participants.map((p) => [p, outputs.get(p)!]));
    expect(fresh.get(6)!.privateShare).not.toBe(old.get(6)!.privateShare);
    expect(signsUnder(fresh, [3, 9], derived)).toBe(true);
    expect(signsUnder(fresh, [6, 9], derived)).toBe(true);
  });
});
