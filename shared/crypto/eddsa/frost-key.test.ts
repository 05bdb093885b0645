import { ed25519, ed25519_FROST } from '@noble/curves/ed25519.js';
import { bytesToHex } from '@noble/curves/utils.js';
import { ED25519 } from '../group.js';
import { deriveEd25519PublicKey, deriveTweak, ed25519TweakScalar } from '../kdf.js';
import { deriveFrostKey, frostIdentifier } from './frost-key.js';
import { toFrostKeyPackage } from '../keygen/index.js';
import { dkgKeyShares } from './test-fixtures.js';

describe('deriveFrostKey (NEAR tweak on a FROST key)', () => {
  const participants = [0, 3, 5, 6];
  const keys = new Map([...dkgKeyShares(3, participants)].map(([p, share]) => [p, toFrostKeyPackage(share)]));
  const tweak = deriveTweak('carol.near', 'ed25519-path');
  const epsilon = ed25519TweakScalar(tweak);

  it('moves the group key to root + ε·B, as kdf.ts derives it', () => {
    const root = ed25519.Point.fromBytes(keys.get(0)!.public.commitments[0]!);
    const derived = deriveFrostKey(keys.get(0)!, tweak);
    expect(bytesToHex(derived.derivedPublicKey)).toBe(bytesToHex(deriveEd25519PublicKey(root, tweak).toBytes()));
    expect(derived.public.commitments[0]).toEqual(derived.derivedPublicKey);
    expect(derived.public.commitments.slice(1)).toEqual(keys.get(0)!.public.commitments.slice(1));
  });

  it('adds ε to the signing share and ε·B to every verifying share, so they stay consistent', () => {
    for (const p of participants) {
      const derived = deriveFrostKey(keys.get(p)!, tweak);
      const share = ED25519.scalarFromBytes(derived.secret.signingShare);
      expect(share).toBe(ED25519.Fn.add(ED25519.scalarFromBytes(keys.get(p)!.secret.signingShare), epsilon));
      for (const q of participants) {
        const id = frostIdentifier(q);
        const expected = ED25519.pointFromBytes(keys.get(p)!.public.verifyingShares[id]!).add(ED25519.scaleBase(epsilon));
        expect(bytesToHex(derived.public.verifyingShares[id]!)).toBe(bytesToHex(expected.toBytes()));
      }
      // The shifted share still matches its shifted public image.
      expect(bytesToHex(derived.public.verifyingShares[frostIdentifier(p)]!)).toBe(bytesToHex(ED25519.scaleBase(share).toBytes()));
    }
  });

  it('shifts only the verifying shares asked for, the same way', () => {
    const all = deriveFrostKey(keys.get(3)!, tweak);
    const some = deriveFrostKey(keys.get(3)!, tweak, [0, 5]);
    expect(Object.keys(some.public.verifyingShares).sort()).toEqual([frostIdentifier(0), frostIdentifier(5)].sort());
    for (const [id, share] of Object.entries(some.public.verifyingShares)) expect(share).toEqual(all.public.verifyingShares[id]);
    expect(deriveFrostKey(keys.get(3)!, tweak, []).public.verifyingShares).toEqual({});
    expect(some.secret).toEqual(all.secret);
    expect(some.derivedPublicKey).toEqual(all.derivedPublicKey);
  });

  it('leaves the key unchanged for a zero tweak and rejects a tweak that is not 32 bytes', () => {
    const derived = deriveFrostKey(keys.get(3)!, new Uint8Array(32));
    expect(derived.secret).toEqual(keys.get(3)!.secret);
    expect(derived.public).toEqual(keys.get(3)!.public);
    expect(() => deriveFrostKey(keys.get(3)!, new Uint8Array(33))).toThrow(/32 bytes/);
  });

  it('maps participant p to FROST identifier p + 1', () => {
    expect(frostIdentifier(0)).toBe(ed25519_FROST.Identifier.fromNumber(1));
    expect(frostIdentifier(41)).toBe(ed25519_FROST.Identifier.fromNumber(42));
  });
});
