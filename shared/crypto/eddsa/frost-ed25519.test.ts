import { randomBytes } from 'node:crypto';
import { ed25519, ed25519_FROST } from '@noble/curves/ed25519.js';
import type { FrostPublic as NobleFrostPublic, FrostSecret as NobleFrostSecret, RNG } from '@noble/curves/abstract/frost.js';
import { bytesToHex, hexToBytes, numberToBytesLE } from '@noble/curves/utils.js';
import { ed25519TweakScalar } from '../kdf.js';
import { isPrimeOrderPoint } from '../native/libsodium.js';
import {
  aggregate,
  commit,
  FrostAggregateInvalid,
  FrostInputError,
  prepareSigning,
  signShare,
  verifyShare,
  type FrostPublic,
  type FrostSecret,
  type NonceCommitments,
} from './frost-ed25519.js';
import { deriveFrostKey } from './frost-key.js';

const Point = ed25519.Point;
const Fn = Point.Fn;
/** A point of order 8 (valid encoding, on the curve, outside the prime-order subgroup). */
const ORDER_8 = Point.fromHex('c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac03fa');

/** A reproducible byte source, so both implementations draw the same nonces. */
function seededRng(seed: Uint8Array): RNG {
  const bytes = [...seed];
  return (length = 32) => {
    const out = new Uint8Array(length);
    for (let i = 0; i < length; i += 1) {
      const next = bytes.shift() ?? 0;
      out[i] = next;
      bytes.push((next * 31 + i + 7) & 0xff);
    }
    return out;
  };
}

interface SigningRun {
  readonly commitments: string[][];
  readonly shares: [string, string][];
  readonly signature: string;
}

/** noble's ed25519_FROST, the oracle: one signing run over `signers`, every random draw from `seed`. */
function nobleRun(pub: NobleFrostPublic, secrets: Record<string, NobleFrostSecret>, signers: readonly string[], message: Uint8Array, seed: Uint8Array): SigningRun {
  const rng = seededRng(seed);
  const committed = signers.map((id) => ed25519_FROST.commit(secrets[id]!, rng));
  const list = committed.map((c) => c.commitments);
  const shares = Object.fromEntries(signers.map((id, i) => [id, ed25519_FROST.signShare(secrets[id]!, pub, committed[i]!.nonces, list, message)]));
  return {
    commitments: list.map((c) => [c.identifier, bytesToHex(c.hiding), bytesToHex(c.binding)]),
    shares: Object.entries(shares).map(([id, share]) => [id, bytesToHex(share)]),
    signature: bytesToHex(ed25519_FROST.aggregate(pub, list, message, shares)),
  };
}

/** The same run on the libsodium implementation. */
function nativeRun(pub: FrostPublic, secrets: Record<string, FrostSecret>, signers: readonly string[], message: Uint8Array, seed: Uint8Array): SigningRun {
  const rng = seededRng(seed);
  const committed = signers.map((id) => commit(secrets[id]!, rng));
  const context = prepareSigning(pub, committed.map((c) => c.commitments), message);
  const shares = new Map(signers.map((id, i) => [id, signShare(context, secrets[id]!, committed[i]!.nonces)]));
  return {
    commitments: committed.map(({ commitments: c }) => [c.identifier, bytesToHex(c.hiding), bytesToHex(c.binding)]),
    shares: [...shares].map(([id, share]) => [id, bytesToHex(share)]),
    signature: bytesToHex(aggregate(context, shares)),
  };
}

/** The NEAR tweak applied with noble's arithmetic: shares + ε, group key and verifying shares + ε·B. */
function nobleTweak(pub: NobleFrostPublic, secrets: Record<string, NobleFrostSecret>, tweak: Uint8Array): { pub: NobleFrostPublic; secrets: Record<string, NobleFrostSecret> } {
  const epsilon = ed25519TweakScalar(tweak);
  const shift = (point: Uint8Array) => new Uint8Array(Point.fromBytes(point).add(Point.BASE.multiply(epsilon)).toBytes());
  return {
    pub: {
      signers: pub.signers,
      commitments: [shift(pub.commitments[0]!), ...pub.commitments.slice(1).map((c) => new Uint8Array(c))],
      verifyingShares: Object.fromEntries(Object.entries(pub.verifyingShares).map(([id, share]) => [id, shift(share)])),
    },
    secrets: Object.fromEntries(
      Object.entries(secrets).map(([id, secret]) => [id, { identifier: id, signingShare: new Uint8Array(Fn.toBytes(Fn.add(Fn.fromBytes(secret.signingShare), epsilon))) }]),
    ),
  };
}

describe('FROST(Ed25519) on libsodium against noble ed25519_FROST', () => {
  it('reproduces the RFC 9591 Appendix E.1 vector, as noble does', () => {
    const groupPublicKey = hexToBytes('15d21ccd7ee42959562fc8aa63224c8851fb3ec85a3faf66040d380fb9738673');
    const message = hexToBytes('74657374');
    const shares = {
      1: '929dcc590407aae7d388761cddb0c0db6f5627aea8e217f4a033f2ec83d93509',
      3: 'd3cb090a075eb154e82fdb4b3cb507f110040905468bb9c46da8bdea643a9a02',
    };
    const randomness = {
      1: ['06894e04ee4aceec8619d5f6a0a180e2f47194d2ac306cba586b555e7c48d765', '40d6f879ff22e22409f7d808fed81f37118e7d3e4af71c0f44c60207553bcbce'],
      3: ['fa5d950626782aade9e33fa781376d4888c2d1de7c37518bc248eb818ed0cdde', '7459a4d14ded0e365b085271be8dc6600d5b88f3978a2174297ffa32001a5afc'],
    };
    const signature =
      '154fb694ee7fcb37bf2381d94488c2a84b03b3352ad085feca81ad26d45852b7ecfe971ce4da95c4a95db93ac376b053897fca212ef85f99cf696bffeb178f07';
    const ids = ([1, 3] as const).map((n) => ed25519_FROST.Identifier.fromNumber(n));
    const scalars = ([1, 3] as const).map((n) => Fn.fromBytes(hexToBytes(shares[n])));
    const pub: NobleFrostPublic = {
      signers: { min: 2, max: 3 },
      commitments: [groupPublicKey],
      verifyingShares: Object.fromEntries(ids.map((id, i) => [id, new Uint8Array(Point.BASE.multiply(scalars[i]!).toBytes())])),
    };
    const secrets = ids.map((identifier, i) => ({ identifier, signingShare: Fn.toBytes(scalars[i]!) }));
    const committed = ([1, 3] as const).map((n, i) => {
      const queue = randomness[n].map((r) => hexToBytes(r));
      return commit(secrets[i]!, () => queue.shift()!);
    });
    const context = prepareSigning(pub, committed.map((c) => c.commitments), message);
    const signatureShares = new Map(ids.map((id, i) => [id, signShare(context, secrets[i]!, committed[i]!.nonces)]));
    for (const id of ids) expect(verifyShare(context, id, signatureShares.get(id)!)).toBe(true);
    expect(bytesToHex(aggregate(context, signatureShares))).toBe(signature);
    // noble, the oracle, on the same inputs.
    const nobleCommitted = ([1, 3] as const).map((n, i) => {
      const queue = randomness[n].map((r) => hexToBytes(r));
      return ed25519_FROST.commit(secrets[i]!, () => queue.shift()!);
    });
    const list = nobleCommitted.map((c) => c.commitments);
    expect(list.map((c) => [bytesToHex(c.hiding), bytesToHex(c.binding)])).toEqual(committed.map((c) => [bytesToHex(c.commitments.hiding), bytesToHex(c.commitments.binding)]));
    const nobleShares = Object.fromEntries(ids.map((id, i) => [id, ed25519_FROST.signShare(secrets[i]!, pub, nobleCommitted[i]!.nonces, list, message)]));
    expect(Object.values(nobleShares).map(bytesToHex)).toEqual([...signatureShares.values()].map(bytesToHex));
    expect(bytesToHex(ed25519_FROST.aggregate(pub, list, message, nobleShares))).toBe(signature);
  });

  it.each([
    [2, 3],
    [3, 5],
    [5, 7],
  ])('%i-of-%i: the same commitments, shares and signature as noble for random keys, nonces and messages', (min, max) => {
    for (let run = 0; run < 3; run += 1) {
      const deal = ed25519_FROST.trustedDealer({ min, max });
      const signers = Object.keys(deal.secretShares).sort(() => Math.random() - 0.5).slice(0, min + (run % (max - min + 1)));
      const message = randomBytes(run * 200);
      const seed = randomBytes(64);
      const ours = nativeRun(deal.public, deal.secretShares, signers, message, seed);
      expect(ours).toEqual(nobleRun(deal.public, deal.secretShares, signers, message, seed));
      expect(ed25519.verify(hexToBytes(ours.signature), message, deal.public.commitments[0]!, { zip215: false })).toBe(true);
    }
  });

  it('with the NEAR tweak: deriveFrostKey equals noble arithmetic, and the signature equals noble FROST under the tweaked key', () => {
    for (const [min, max] of [[2, 3], [3, 5]] as const) {
      const deal = ed25519_FROST.trustedDealer({ min, max });
      const tweak = randomBytes(32);
      const reference = nobleTweak(deal.public, deal.secretShares, tweak);
      const derived = Object.fromEntries(
        Object.entries(deal.secretShares).map(([id, secret]) => [id, deriveFrostKey({ secret, public: deal.public }, tweak)]),
      );
      const any = Object.values(derived)[0]!;
      expect(bytesToHex(any.derivedPublicKey)).toBe(bytesToHex(reference.pub.commitments[0]!));
      expect(Object.entries(any.public.verifyingShares).map(([id, p]) => [id, bytesToHex(p)])).toEqual(
        Object.entries(reference.pub.verifyingShares).map(([id, p]) => [id, bytesToHex(p)]),
      );
      for (const [id, key] of Object.entries(derived)) expect(bytesToHex(key.secret.signingShare)).toBe(bytesToHex(reference.secrets[id]!.signingShare));
      const signers = Object.keys(deal.secretShares).slice(0, min);
      const message = randomBytes(300);
      const seed = randomBytes(64);
      const ours = nativeRun(any.public, Object.fromEntries(Object.entries(derived).map(([id, key]) => [id, key.secret])), signers, message, seed);
      expect(ours).toEqual(nobleRun(reference.pub, reference.secrets, signers, message, seed));
    }
  });

  it('gives the same share verdicts as noble, and refuses to aggregate a wrong share', () => {
    const deal = ed25519_FROST.trustedDealer({ min: 3, max: 5 });
    const signers = Object.keys(deal.secretShares).slice(1, 4);
    const message = randomBytes(64);
    const committed = signers.map((id) => commit(deal.secretShares[id]!));
    const list = committed.map((c) => c.commitments);
    const context = prepareSigning(deal.public, list, message);
    const shares = new Map(signers.map((id, i) => [id, signShare(context, deal.secretShares[id]!, committed[i]!.nonces)]));
    const [first] = signers;
    const tampered = Fn.toBytes(Fn.add(Fn.fromBytes(shares.get(first!)!), 1n));
    for (const [id, share] of [...shares, [first!, tampered] as const]) {
      expect(verifyShare(context, id, share)).toBe(ed25519_FROST.verifyShare(deal.public, list, message, id, share));
    }
    expect(verifyShare(context, first!, tampered)).toBe(false);
    expect(() => aggregate(context, new Map([...shares, [first!, tampered]]))).toThrow(FrostAggregateInvalid);
    expect(() => ed25519_FROST.aggregate(deal.public, list, message, { ...Object.fromEntries(shares), [first!]: tampered })).toThrow(/aggregation failed/);
  });

  it('signs once per nonce pair: the nonces are zeroed, and a second share is refused, as noble does', () => {
    const deal = ed25519_FROST.trustedDealer({ min: 2, max: 3 });
    const [a, b] = Object.keys(deal.secretShares);
    const own = commit(deal.secretShares[a!]!);
    const other = commit(deal.secretShares[b!]!);
    const context = prepareSigning(deal.public, [own.commitments, other.commitments], new Uint8Array([7]));
    signShare(context, deal.secretShares[a!]!, own.nonces);
    expect(own.nonces.hiding.every((byte) => byte === 0)).toBe(true);
    expect(() => signShare(context, deal.secretShares[a!]!, own.nonces)).toThrow(/already used/);
  });

  it('refuses a list whose entry for the signer is not its own commitments, as noble does', () => {
    const deal = ed25519_FROST.trustedDealer({ min: 2, max: 3 });
    const [a, b] = Object.keys(deal.secretShares);
    const own = commit(deal.secretShares[a!]!);
    const other = commit(deal.secretShares[b!]!);
    const swapped: NonceCommitments[] = [{ ...own.commitments, binding: other.commitments.binding }, other.commitments];
    const message = new Uint8Array([1]);
    expect(() => signShare(prepareSigning(deal.public, swapped, message), deal.secretShares[a!]!, { ...own.nonces })).toThrow(/other commitments/);
    expect(() => ed25519_FROST.signShare(deal.secretShares[a!]!, deal.public, { ...own.nonces }, swapped, message)).toThrow(/incorrect signer commitment/);
  });

  describe('refuses every point RFC 9591 DeserializeElement refuses, wherever noble does', () => {
    const valid = Point.BASE.multiply(0x1234567n);
    const negativeZero = Point.ZERO.toBytes();
    negativeZero[31]! |= 0x80;
    const invalid: Record<string, Uint8Array> = {
      'small order': ORDER_8.toBytes(),
      'mixed torsion (valid + order 8)': valid.add(ORDER_8).toBytes(),
      identity: Point.ZERO.toBytes(),
      'non-canonical (y = p + 1)': numberToBytesLE(Point.Fp.ORDER + 1n, 32),
      'negative zero (x = 0 with the sign bit)': negativeZero,
      'not on the curve': numberToBytesLE(2n, 32),
    };

    it('accepts a prime-order point', () => {
      expect(isPrimeOrderPoint(valid.toBytes())).toBe(true);
    });

    it.each(Object.entries(invalid))('%s', (_, bytes) => {
      expect(isPrimeOrderPoint(bytes)).toBe(false);
      const deal = ed25519_FROST.trustedDealer({ min: 2, max: 3 });
      const [a, b] = Object.keys(deal.secretShares);
      const message = new Uint8Array([1, 2, 3]);
      const own = commit(deal.secretShares[a!]!);
      const other = commit(deal.secretShares[b!]!);
      for (const forged of [
        [own.commitments, { ...other.commitments, hiding: bytes }],
        [own.commitments, { ...other.commitments, binding: bytes }],
      ]) {
        expect(() => prepareSigning(deal.public, forged, message)).toThrow(FrostInputError);
        expect(() => ed25519_FROST.signShare(deal.secretShares[a!]!, deal.public, { ...own.nonces }, forged, message)).toThrow();
      }
      const badKey = { ...deal.public, commitments: [bytes] };
      expect(() => prepareSigning(badKey, [own.commitments, other.commitments], message)).toThrow(FrostInputError);
      const badShare = { ...deal.public, verifyingShares: { ...deal.public.verifyingShares, [a!]: bytes } };
      const context = prepareSigning(badShare, [own.commitments, other.commitments], message);
      expect(() => verifyShare(context, a!, new Uint8Array(32))).toThrow(FrostInputError);
      expect(() => ed25519_FROST.verifyShare(badShare, [own.commitments, other.commitments], message, a!, new Uint8Array(32))).toThrow();
    });
  });
});
