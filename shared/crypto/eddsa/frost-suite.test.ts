import { randomBytes } from 'node:crypto';
import { ed25519, ed25519_FROST } from '@noble/curves/ed25519.js';
import type { FROST, NonceCommitments, RNG } from '@noble/curves/abstract/frost.js';
import { bytesToHex, hexToBytes, numberToBytesLE } from '@noble/curves/utils.js';
import { decodePrimeOrder, ed25519Frost, PRIME_ORDER_MEMO_LIMIT, primeOrderMemoSize, rememberPrimeOrder, rememberPrimeOrderEncoding } from './frost-suite.js';

const Point = ed25519.Point;
/** A point of order 8 (valid encoding, on the curve, outside the prime-order subgroup). */
const ORDER_8 = Point.fromHex('c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac03fa');

/** A reproducible byte source, so both suites draw the same nonces. */
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
  readonly commitments: NonceCommitments[];
  readonly shares: Record<string, Uint8Array>;
  readonly signature: Uint8Array;
}

/** One FROST signing run with `suite` over `signers` of a dealt key, every random draw from `seed`. */
function runSuite(suite: FROST, deal: ReturnType<FROST['trustedDealer']>, signers: readonly string[], message: Uint8Array, seed: Uint8Array): SigningRun {
  const rng = seededRng(seed);
  const committed = signers.map((id) => suite.commit(deal.secretShares[id]!, rng));
  const commitments = committed.map((c) => c.commitments);
  const shares = Object.fromEntries(
    signers.map((id, i) => [id, suite.signShare(deal.secretShares[id]!, deal.public, committed[i]!.nonces, commitments, message)]),
  );
  return { commitments, shares, signature: suite.aggregate(deal.public, commitments, message, shares) };
}

const hex = (run: SigningRun) => ({
  commitments: run.commitments.map((c) => [c.identifier, bytesToHex(c.hiding), bytesToHex(c.binding)]),
  shares: Object.entries(run.shares).map(([id, share]) => [id, bytesToHex(share)]),
  signature: bytesToHex(run.signature),
});

describe('ed25519Frost: noble createFROST with ed25519_FROST parameters and a validating memo', () => {
  it('reproduces the RFC 9591 Appendix E.1 vector exactly as ed25519_FROST does', () => {
    // FROST(Ed25519, SHA-512) 2-of-3, signers 1 and 3 (as in sign.test.ts, here on the raw suites).
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
    for (const suite of [ed25519_FROST, ed25519Frost]) {
      const ids = ([1, 3] as const).map((n) => suite.Identifier.fromNumber(n));
      const scalars = ([1, 3] as const).map((n) => Point.Fn.fromBytes(hexToBytes(shares[n])));
      const pub = {
        signers: { min: 2, max: 3 },
        commitments: [groupPublicKey],
        verifyingShares: Object.fromEntries(ids.map((id, i) => [id, Point.BASE.multiply(scalars[i]!).toBytes()])),
      };
      const secrets = ids.map((identifier, i) => ({ identifier, signingShare: Point.Fn.toBytes(scalars[i]!) }));
      const committed = ([1, 3] as const).map((n, i) => {
        const queue = randomness[n].map((r) => hexToBytes(r));
        return suite.commit(secrets[i]!, () => queue.shift()!);
      });
      const list = committed.map((c) => c.commitments);
      const sigShares = Object.fromEntries(ids.map((id, i) => [id, suite.signShare(secrets[i]!, pub, committed[i]!.nonces, list, message)]));
      for (const id of ids) expect(suite.verifyShare(pub, list, message, id, sigShares[id]!)).toBe(true);
      expect(bytesToHex(suite.aggregate(pub, list, message, sigShares))).toBe(signature);
    }
  });

  it('gives the same commitments, shares, signatures and share verdicts as ed25519_FROST on random runs', () => {
    for (const [min, max] of [[2, 3], [3, 5], [5, 7]] as const) {
      const deal = ed25519_FROST.trustedDealer({ min, max });
      const signers = Object.keys(deal.secretShares).slice(0, min);
      const message = randomBytes(100);
      const seed = randomBytes(64);
      const reference = runSuite(ed25519_FROST, deal, signers, message, seed);
      const ours = runSuite(ed25519Frost, deal, signers, message, seed);
      expect(hex(ours)).toEqual(hex(reference));
      expect(ed25519.verify(ours.signature, message, deal.public.commitments[0]!)).toBe(true);
      const [first] = signers;
      const tampered = Point.Fn.toBytes(Point.Fn.add(Point.Fn.fromBytes(ours.shares[first!]!), 1n));
      for (const suite of [ed25519_FROST, ed25519Frost]) {
        expect(suite.verifyShare(deal.public, ours.commitments, message, first!, ours.shares[first!]!)).toBe(true);
        expect(suite.verifyShare(deal.public, ours.commitments, message, first!, tampered)).toBe(false);
        expect(() => suite.aggregate(deal.public, ours.commitments, message, { ...ours.shares, [first!]: tampered })).toThrow(/aggregation failed/);
      }
    }
  });

  describe('still rejects every point RFC 9591 DeserializeElement rejects', () => {
    const valid = Point.BASE.multiply(0x1234567n);
    const invalid: Record<string, Uint8Array> = {
      'small order': ORDER_8.toBytes(),
      'mixed torsion (valid + order 8)': valid.add(ORDER_8).toBytes(),
      identity: Point.ZERO.toBytes(),
      'non-canonical (y = p + 1)': numberToBytesLE(Point.Fp.ORDER + 1n, 32),
      'negative zero (x = 0 with the sign bit)': (() => {
        const bytes = Point.ZERO.toBytes();
        bytes[31]! |= 0x80;
        return bytes;
      })(),
    };

    it.each(Object.entries(invalid))('%s: refused by decodePrimeOrder, and by signShare and verifyShare like ed25519_FROST', (_, bytes) => {
      // Memoize the valid point first: nothing about it may leak to its torsioned relatives.
      expect(bytesToHex(decodePrimeOrder(valid.toBytes()).toBytes())).toBe(bytesToHex(valid.toBytes()));
      expect(() => decodePrimeOrder(bytes)).toThrow();
      expect(() => decodePrimeOrder(bytes)).toThrow(); // and again: failures are never memoized

      const deal = ed25519_FROST.trustedDealer({ min: 2, max: 3 });
      const [a, b] = Object.keys(deal.secretShares);
      const message = new Uint8Array([1, 2, 3]);
      for (const suite of [ed25519_FROST, ed25519Frost]) {
        const own = suite.commit(deal.secretShares[a!]!);
        const other = suite.commit(deal.secretShares[b!]!);
        const list = [own.commitments, { ...other.commitments, binding: bytes }];
        expect(() => suite.signShare(deal.secretShares[a!]!, deal.public, own.nonces, list, message)).toThrow();
        expect(() => suite.verifyShare(deal.public, list, message, a!, new Uint8Array(32))).toThrow();
      }
    });

    it('refuses to remember the identity as prime-order', () => {
      expect(() => rememberPrimeOrder(Point.ZERO)).toThrow(/identity/);
      expect(() => rememberPrimeOrderEncoding(Point.ZERO.toBytes())).toThrow(/identity/);
    });
  });

  it('keeps at most PRIME_ORDER_MEMO_LIMIT encodings, and a forgotten one is validated afresh', () => {
    const first = Point.BASE.multiply(987654321n);
    rememberPrimeOrder(first);
    let point = first;
    for (let i = 0; i < PRIME_ORDER_MEMO_LIMIT + 5; i += 1) {
      point = point.add(Point.BASE);
      rememberPrimeOrder(point);
    }
    expect(primeOrderMemoSize()).toBe(PRIME_ORDER_MEMO_LIMIT);
    expect(bytesToHex(decodePrimeOrder(first.toBytes()).toBytes())).toBe(bytesToHex(first.toBytes()));
    expect(() => decodePrimeOrder(first.add(ORDER_8).toBytes())).toThrow(/prime-order/);
    expect(primeOrderMemoSize()).toBe(PRIME_ORDER_MEMO_LIMIT);
  });
});
