import fc from 'fast-check';
import { DecodeError } from '../errors.js';
import { SECP256K1 } from '../group.js';
import {
  decodePresignRound1,
  decodeSignShare,
  encodePresignRound1,
  encodeSignShare,
  PRESIGN_ROUND_1_TAG,
  SIGN_SHARE_TAG,
} from './messages.js';
import { decodePresignatureShare, encodePresignatureShare, PRESIGNATURE_RECORD_VERSION, type PresignatureShare } from './presignature.js';

const Fn = SECP256K1.Fn;
const scalar = fc.bigInt({ min: 0n, max: Fn.ORDER - 1n });
// Points as multiples of G; a small pool keeps the property runs fast while covering both parities.
const pointPool = Array.from({ length: 16 }, (_, i) => SECP256K1.scaleBase(BigInt(i) * 0x9e3779b97f4a7c15n + 7n));
const point = fc.constantFrom(...pointPool);

const round1 = fc.record({ kdShare: scalar, kaShare: scalar, xbShare: scalar, aCommitment: point, cCommitment: point });

const presignatureShare: fc.Arbitrary<PresignatureShare> = fc
  .uniqueArray(fc.integer({ min: 0, max: 0xffff_ffff }), { minLength: 1, maxLength: 6 })
  .chain((ids) => {
    const participants = [...ids].sort((a, b) => a - b);
    const commitments = fc.tuple(
      ...participants.map(() => fc.record({ kaShare: scalar, a: point, c: point, key: point })),
    );
    return fc.record({
      participants: fc.constant(participants),
      me: fc.constantFrom(...participants),
      publicKey: point,
      bigR: point,
      k: scalar,
      sigma: scalar,
      ka: scalar,
      xb: scalar,
      commitments,
    });
  })
  .map((value) => ({
    ...value,
    publicKey: value.publicKey.toBytes(true),
    bigR: value.bigR.toBytes(false),
    commitments: new Map(
      value.participants.map((id, i) => {
        const c = value.commitments[i]!;
        return [id, { kaShare: c.kaShare, aCommitment: c.a.toBytes(false), cCommitment: c.c.toBytes(false), keyVerifyingShare: c.key.toBytes(true) }];
      }),
    ),
  }));

/** A decoder must either return or throw DecodeError, whatever the bytes. */
function decodesOrRefuses(decode: (data: Uint8Array) => unknown, data: Uint8Array): void {
  try {
    decode(data);
  } catch (error) {
    expect(error).toBeInstanceOf(DecodeError);
  }
}

describe('ECDSA message codecs', () => {
  it('presign round-1 messages round-trip', () => {
    fc.assert(
      fc.property(round1, (message) => {
        const decoded = decodePresignRound1(encodePresignRound1(message));
        expect(decoded.kdShare).toBe(message.kdShare);
        expect(decoded.kaShare).toBe(message.kaShare);
        expect(decoded.xbShare).toBe(message.xbShare);
        expect(decoded.aCommitment.equals(message.aCommitment)).toBe(true);
        expect(decoded.cCommitment.equals(message.cCommitment)).toBe(true);
      }),
      { numRuns: 100 },
    );
  });

  it('sign shares round-trip', () => {
    fc.assert(
      fc.property(point, scalar, (bigR, share) => {
        const message = { bigR: bigR.toBytes(true), share };
        expect(decodeSignShare(encodeSignShare(message))).toEqual(message);
      }),
    );
  });

  it('presignature records round-trip', () => {
    fc.assert(fc.property(presignatureShare, (share) => expect(decodePresignatureShare(encodePresignatureShare(share))).toEqual(share)), {
      numRuns: 100,
    });
  });

  it('random bytes give DecodeError or a value, never another error', () => {
    const bytes = fc.uint8Array({ maxLength: 400 });
    const withHeader = (first: number, second: number) => bytes.map((tail) => Uint8Array.from([first, second, ...tail]));
    for (const decode of [decodePresignRound1, decodeSignShare, decodePresignatureShare]) {
      fc.assert(fc.property(bytes, (data) => decodesOrRefuses(decode, data)), { numRuns: 300 });
    }
    // Past the header, so the body parsers see the noise too.
    fc.assert(fc.property(withHeader(1, PRESIGN_ROUND_1_TAG), (data) => decodesOrRefuses(decodePresignRound1, data)), { numRuns: 300 });
    fc.assert(fc.property(withHeader(1, SIGN_SHARE_TAG), (data) => decodesOrRefuses(decodeSignShare, data)), { numRuns: 300 });
    fc.assert(fc.property(withHeader(PRESIGNATURE_RECORD_VERSION, 0), (data) => decodesOrRefuses(decodePresignatureShare, data)), { numRuns: 300 });
  });

  it('every single-byte corruption of a valid encoding decodes or gives DecodeError', () => {
    fc.assert(
      fc.property(presignatureShare, fc.nat(), fc.integer({ min: 1, max: 255 }), (share, at, xor) => {
        const data = encodePresignatureShare(share);
        data[at % data.length]! ^= xor;
        decodesOrRefuses(decodePresignatureShare, data);
      }),
      { numRuns: 200 },
    );
    fc.assert(
      fc.property(round1, fc.nat(), fc.integer({ min: 1, max: 255 }), (message, at, xor) => {
        const data = encodePresignRound1(message);
        data[at % data.length]! ^= xor;
        decodesOrRefuses(decodePresignRound1, data);
      }),
      { numRuns: 200 },
    );
  });

  it('refuses trailing bytes, a wrong version and unordered participants', () => {
    const share = encodeSignShare({ bigR: pointPool[1]!.toBytes(true), share: 5n });
    expect(() => decodeSignShare(Uint8Array.from([...share, 0]))).toThrow(/trailing/);
    expect(() => decodeSignShare(Uint8Array.from([2, ...share.subarray(1)]))).toThrow(/wire version 2/);
    const record = fc.sample(presignatureShare, { numRuns: 1, seed: 1 })[0]!;
    const bytes = encodePresignatureShare(record);
    expect(() => decodePresignatureShare(Uint8Array.from([9, ...bytes.subarray(1)]))).toThrow(/record version 9/);
    const twoParticipants = { ...record, participants: [7, 3], me: 3, commitments: new Map([[7, record.commitments.values().next().value!], [3, record.commitments.values().next().value!]]) };
    expect(() => decodePresignatureShare(encodePresignatureShare(twoParticipants))).toThrow(/strictly ascending/);
  });
});
