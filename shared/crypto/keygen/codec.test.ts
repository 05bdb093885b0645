import fc from 'fast-check';
import { DecodeError, ProtocolAbort } from '../errors.js';
import type { CurveId, GroupPoint } from '../group.js';
import type { KeyShare } from '../key-share.js';
import { createDkg } from './dkg.js';
import { decodeKeyShare, encodeKeyShare } from './key-share-codec.js';
import { decodeKeygenMessage, encodeKeygenMessage, type KeygenMessage } from './messages.js';
import { withSuite, type KeygenSuite } from './suite.js';
import { newSessionId, runDkg } from './test-helpers.js';

const CURVES: CurveId[] = ['secp256k1', 'ed25519'];

/** Runs `decode`; passes when it returns or throws a DecodeError, fails on any other exception. */
function decodesOrRejects(decode: () => unknown): boolean {
  try {
    decode();
    return true;
  } catch (error) {
    if (error instanceof DecodeError) return true;
    throw error;
  }
}

function expectSameShare(actual: KeyShare, expected: KeyShare): void {
  expect({ ...actual, verifyingShares: [...actual.verifyingShares] }).toEqual({ ...expected, verifyingShares: [...expected.verifyingShares] });
}

describe.each(CURVES)('key share codec on %s', (curve) => {
  const shares = runDkg(curve, [3, 7, 11, 19], 3);
  const share = shares.get(7)!;
  const encoded = encodeKeyShare(share);

  it('round-trips every DKG output exactly', () => {
    for (const original of shares.values()) expectSameShare(decodeKeyShare(encodeKeyShare(original)), original);
  });

  it('refuses a share whose private part does not belong to its participant', () => {
    expect(() => decodeKeyShare(encodeKeyShare({ ...share, me: 11 }))).toThrow(/does not match participant 11/);
  });

  it('refuses trailing bytes, truncation and an unknown version or curve', () => {
    expect(() => decodeKeyShare(Uint8Array.of(...encoded, 0))).toThrow(DecodeError);
    expect(() => decodeKeyShare(encoded.subarray(0, encoded.length - 1))).toThrow(DecodeError);
    expect(() => decodeKeyShare(Uint8Array.of(encoded[0]! + 1, ...encoded.subarray(1)))).toThrow(/wire version/);
    expect(() => decodeKeyShare(Uint8Array.of(encoded[0]!, encoded[1]!, 9, ...encoded.subarray(3)))).toThrow(/unknown curve code 9/);
  });

  it('turns any corruption of a valid encoding into a DecodeError (or a still-valid share), never a crash', () => {
    fc.assert(
      fc.property(fc.nat({ max: encoded.length - 1 }), fc.integer({ min: 1, max: 255 }), (at, flip) => {
        const corrupted = encoded.slice();
        corrupted[at] = corrupted[at]! ^ flip;
        return decodesOrRejects(() => decodeKeyShare(corrupted));
      }),
      { numRuns: 150 },
    );
  });
});

it('key share decoder turns random bytes into DecodeError only', () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 300 }), (bytes) => decodesOrRejects(() => decodeKeyShare(bytes))),
    { numRuns: 500 },
  );
  // Random bytes behind a valid header and curve reach the deeper checks.
  fc.assert(
    fc.property(fc.constantFrom(0, 1), fc.uint8Array({ maxLength: 300 }), (curveCode, bytes) =>
      decodesOrRejects(() => decodeKeyShare(Uint8Array.of(1, 0x1f, curveCode, ...bytes))),
    ),
    { numRuns: 500 },
  );
});

function messageArbitrary<P extends GroupPoint<P>>(suite: KeygenSuite<P>): fc.Arbitrary<KeygenMessage<P>> {
  const { group } = suite;
  const scalar = fc.bigInt({ min: 1n, max: group.Fn.ORDER - 1n });
  const instance = fc.uint8Array({ minLength: 32, maxLength: 32 });
  return fc.oneof(
    fc.record({
      kind: fc.constant('commitments' as const),
      instance,
      commitments: fc.array(scalar.map((s) => group.scaleBase(s)), { minLength: 1, maxLength: 4 }),
      proofOfKnowledge: fc.oneof(fc.constant(new Uint8Array()), fc.uint8Array({ minLength: group.pointBytes + group.scalarBytes, maxLength: group.pointBytes + group.scalarBytes })),
    }),
    fc.record({ kind: fc.constant('echo' as const), instance, digest: fc.uint8Array({ minLength: 32, maxLength: 32 }) }),
    fc.record({ kind: fc.constant('share' as const), instance, share: scalar }),
  );
}

describe.each(CURVES)('keygen message codec on %s', (curve) => {
  it('round-trips every message kind', () => {
    withSuite(curve, (suite) => {
      fc.assert(
        fc.property(messageArbitrary(suite), (message) => {
          const decoded = decodeKeygenMessage(suite.group, encodeKeygenMessage(suite.group, message), 4);
          expect(decoded.kind).toBe(message.kind);
          expect(encodeKeygenMessage(suite.group, decoded)).toEqual(encodeKeygenMessage(suite.group, message));
        }),
        { numRuns: 60 },
      );
    });
  });

  it('turns random bytes and corrupted messages into DecodeError only', () => {
    withSuite(curve, (suite) => {
      fc.assert(fc.property(fc.uint8Array({ maxLength: 400 }), (bytes) => decodesOrRejects(() => decodeKeygenMessage(suite.group, bytes, 4))), {
        numRuns: 500,
      });
      fc.assert(
        fc.property(fc.constantFrom(0x10, 0x11, 0x12), fc.uint8Array({ maxLength: 300 }), (tag, bytes) =>
          decodesOrRejects(() => decodeKeygenMessage(suite.group, Uint8Array.of(1, tag, ...bytes), 4)),
        ),
        { numRuns: 500 },
      );
      fc.assert(
        fc.property(messageArbitrary(suite), fc.nat(), fc.integer({ min: 1, max: 255 }), (message, position, flip) => {
          const bytes = encodeKeygenMessage(suite.group, message);
          bytes[position % bytes.length] ^= flip;
          return decodesOrRejects(() => decodeKeygenMessage(suite.group, bytes, 4));
        }),
        { numRuns: 150 },
      );
    });
  });

  it('rejects more commitments than the threshold before reading them', () => {
    withSuite(curve, (suite) => {
      const point = suite.group.generator;
      const message = encodeKeygenMessage(suite.group, { kind: 'commitments', instance: new Uint8Array(32), commitments: [point, point, point], proofOfKnowledge: new Uint8Array() });
      expect(() => decodeKeygenMessage(suite.group, message, 2)).toThrow(/count 3 exceeds the limit 2/);
    });
  });

  it('a protocol fed random bytes never throws from message() and aborts on the next poke', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), fc.constantFrom(1, 2), (bytes, from) => {
        const party = createDkg({ curve, sessionId: newSessionId(), participants: [0, 1, 2], threshold: 2, me: 0 });
        party.poke();
        expect(() => party.message(from, bytes)).not.toThrow();
        let abort: unknown;
        try {
          party.poke();
        } catch (error) {
          abort = error;
        }
        expect(abort).toBeInstanceOf(ProtocolAbort);
        expect((abort as ProtocolAbort).step).toMatch(/^dkg\/receive: (undecodable|other session)$/);
        expect((abort as ProtocolAbort).culprit).toBe(from);
      }),
      { numRuns: 100 },
    );
  });
});
