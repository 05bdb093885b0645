import { equalBytes } from '@noble/curves/utils.js';
import type { DKG_Round1, DKG_Round2 } from '@noble/curves/abstract/frost.js';
import { ed25519, ed25519_FROST } from '@noble/curves/ed25519.js';
import { runProtocols } from '../runner.js';
import { utf8ToBytes } from '@noble/hashes/utils.js';
import fc from 'fast-check';
import type { CurveId } from '../group.js';
import type { KeyShare } from '../key-share.js';
import { createDkg } from './dkg.js';
import { toFrostKeyPackage } from './frost-package.js';
import { withSuite } from './suite.js';
import { frostIdentifier } from './suite.js';
import { interpolateSecret, isSecretOf, newSessionId, participantIds, runDkg, seededRng, subsets } from './test-helpers.js';

const CURVES: CurveId[] = ['secp256k1', 'ed25519'];
const SHAPES: [threshold: number, count: number][] = [
  [2, 3],
  [3, 5],
  [5, 7],
];

describe.each(CURVES)('DKG on %s', (curve) => {
  it.each(SHAPES)('%i-of-%i: every party agrees on the key, any t shares give it and t−1 do not', (threshold, count) => {
    const participants = participantIds(count);
    const shares = runDkg(curve, participants, threshold);
    const all = [...shares.values()];
    expect(all).toHaveLength(count);
    const [first] = all;
    for (const share of all) {
      expect(share.curve).toBe(curve);
      expect(share.participants).toEqual(participants);
      expect(share.threshold).toBe(threshold);
      expect(equalBytes(share.publicKey, first!.publicKey)).toBe(true);
      expect([...share.verifyingShares.keys()]).toEqual(participants);
      for (const [id, point] of share.verifyingShares) expect(equalBytes(point, first!.verifyingShares.get(id)!)).toBe(true);
    }
    withSuite(curve, ({ group }) => {
      for (const share of all) expect(equalBytes(group.scaleBase(share.privateShare).toBytes(true), share.verifyingShares.get(share.me)!)).toBe(true);
    });
    for (const subset of subsets(all, threshold)) expect(isSecretOf(interpolateSecret(subset), first!)).toBe(true);
    for (const subset of subsets(all, threshold - 1)) expect(isSecretOf(interpolateSecret(subset), first!)).toBe(false);
  });

  it('works for any u32 participant ids, given in any order (property)', () => {
    fc.assert(
      fc.property(
        fc.uniqueArray(fc.oneof(fc.nat({ max: 20 }), fc.constant(0xffff_ffff), fc.nat({ max: 0xffff_ffff })), { minLength: 2, maxLength: 4 }),
        fc.nat(),
        (participants, thresholdSeed) => {
          const threshold = 2 + (thresholdSeed % (participants.length - 1));
          const shares = [...runDkg(curve, participants, threshold).values()];
          expect(shares[0]!.participants).toEqual([...participants].sort((a, b) => a - b));
          expect(isSecretOf(interpolateSecret(shares.slice(0, threshold)), shares[0]!)).toBe(true);
          expect(isSecretOf(interpolateSecret(shares.slice(0, threshold - 1)), shares[0]!)).toBe(false);
        },
      ),
      { numRuns: 8 },
    );
  });

  it('two runs give unrelated keys', () => {
    const participants = participantIds(3);
    const a = runDkg(curve, participants, 2).get(participants[0]!)!;
    const b = runDkg(curve, participants, 2).get(participants[0]!)!;
    expect(equalBytes(a.publicKey, b.publicKey)).toBe(false);
  });

  it('rejects bad configurations with a RangeError before any message is sent', () => {
    const base = { curve, sessionId: newSessionId(), participants: [0, 1, 2], threshold: 2, me: 0 };
    expect(() => createDkg({ ...base, threshold: 1 })).toThrow(RangeError);
    expect(() => createDkg({ ...base, threshold: 4 })).toThrow(RangeError);
    expect(() => createDkg({ ...base, me: 7 })).toThrow(RangeError);
    expect(() => createDkg({ ...base, participants: [0, 1, 1] })).toThrow(RangeError);
    expect(() => createDkg({ ...base, sessionId: new Uint8Array() })).toThrow(RangeError);
  });
});

describe.each(CURVES)('DKG on %s is noble\'s RFC 9591 / frost-rs DKG', (curve) => {
  it('given the same randomness, noble\'s own round 2 and 3 accept our round-1 data and produce the same key package', () => {
    const participants = [0, 2, 5, 9];
    const threshold = 3;
    const seed = (me: number) => `party ${me}`;
    const sessionId = newSessionId();
    const ours = runProtocols(
      new Map(participants.map((me) => [me, createDkg({ curve, sessionId, participants, threshold, me, rng: seededRng(seed(me)) })])),
    ).outputs;

    withSuite(curve, ({ frost, group }) => {
      const id = (me: number) => frostIdentifier(frost, me);
      const round1 = new Map(participants.map((me) => [me, frost.DKG.round1(id(me), { min: threshold, max: participants.length }, undefined, seededRng(seed(me)) as Parameters<typeof frost.DKG.round1>[3])]));
      const others = (me: number): DKG_Round1[] => participants.filter((p) => p !== me).map((p) => round1.get(p)!.public);
      const round2 = new Map(participants.map((me) => [me, frost.DKG.round2(round1.get(me)!.secret, others(me))]));
      for (const me of participants) {
        const received: DKG_Round2[] = participants.filter((p) => p !== me).map((p) => round2.get(p)![id(me)]!);
        const key = frost.DKG.round3(round1.get(me)!.secret, others(me), received);
        const share = ours.get(me)!;
        expect(share.privateShare).toBe(group.scalarFromBytes(key.secret.signingShare));
        expect(equalBytes(share.publicKey, key.public.commitments[0]!)).toBe(true);
        for (const p of participants) expect(equalBytes(share.verifyingShares.get(p)!, key.public.verifyingShares[id(p)]!)).toBe(true);
      }
    });
  });
});

describe('DKG output signs with noble FROST', () => {
  function frostSign(shares: readonly KeyShare[], message: Uint8Array): Uint8Array {
    const packages = shares.map(toFrostKeyPackage);
    const rounds = packages.map((pkg) => ({ pkg, ...ed25519_FROST.commit(pkg.secret) }));
    const commitmentList = rounds.map((round) => round.commitments);
    const signatureShares: Record<string, Uint8Array> = {};
    for (const { pkg, nonces } of rounds) {
      const share = ed25519_FROST.signShare(pkg.secret, pkg.public, nonces, commitmentList, message);
      expect(ed25519_FROST.verifyShare(pkg.public, commitmentList, message, pkg.secret.identifier, share)).toBe(true);
      signatureShares[pkg.secret.identifier] = share;
    }
    return ed25519_FROST.aggregate(packages[0]!.public, commitmentList, message, signatureShares);
  }

  it.each(SHAPES)('%i-of-%i Ed25519: any t signers produce a signature valid under the public key', (threshold, count) => {
    const participants = participantIds(count);
    const shares = [...runDkg('ed25519', participants, threshold).values()];
    const message = utf8ToBytes('chain signatures');
    const signers = shares.slice(count - threshold);
    const signature = frostSign(signers, message);
    expect(ed25519_FROST.verify(signature, message, shares[0]!.publicKey)).toBe(true);
    // An ordinary RFC 8032 Ed25519 signature: NEAR's verifier needs nothing FROST-specific.
    expect(ed25519.verify(signature, message, shares[0]!.publicKey)).toBe(true);
    expect(ed25519.verify(signature, utf8ToBytes('another message'), shares[0]!.publicKey)).toBe(false);
  });
});
