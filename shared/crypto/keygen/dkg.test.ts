import { ed25519_FROST } from '@noble/curves/ed25519.js';
import { utf8ToBytes } from '@noble/hashes/utils.js';
import type { CurveId } from '../group.js';
import type { KeyShare } from '../key-share.js';
import { createDkg } from './dkg.js';
import { toFrostKeyPackage } from './frost-package.js';
import { withSuite } from './suite.js';
import { bytesEqual, interpolateSecret, isSecretOf, newSessionId, participantIds, runDkg, subsets } from './test-helpers.js';

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
      expect(bytesEqual(share.publicKey, first!.publicKey)).toBe(true);
      expect([...share.verifyingShares.keys()]).toEqual(participants);
      for (const [id, point] of share.verifyingShares) expect(bytesEqual(point, first!.verifyingShares.get(id)!)).toBe(true);
    }
    withSuite(curve, ({ group }) => {
      for (const share of all) expect(bytesEqual(group.scaleBase(share.privateShare).toBytes(true), share.verifyingShares.get(share.me)!)).toBe(true);
    });
    for (const subset of subsets(all, threshold)) expect(isSecretOf(interpolateSecret(subset), first!)).toBe(true);
    for (const subset of subsets(all, threshold - 1)) expect(isSecretOf(interpolateSecret(subset), first!)).toBe(false);
  });

  it('two runs give unrelated keys', () => {
    const participants = participantIds(3);
    const a = runDkg(curve, participants, 2).get(participants[0]!)!;
    const b = runDkg(curve, participants, 2).get(participants[0]!)!;
    expect(bytesEqual(a.publicKey, b.publicKey)).toBe(false);
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
    // RFC 8032-compatible: the plain Ed25519 verifier accepts it too.
    expect(ed25519_FROST.verify(signature, utf8ToBytes('another message'), shares[0]!.publicKey)).toBe(false);
  });
});
