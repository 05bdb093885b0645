import { readdirSync, readFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { ed25519 } from '@noble/curves/ed25519.js';
import { DecodeError, ProtocolAbort } from '../errors.js';
import { ED25519 } from '../group.js';
import { deriveTweak } from '../kdf.js';
import { runProtocols } from '../runner.js';
import { decodeEddsaMessage, encodeEddsaMessage, MAX_SIGNERS, type EddsaMessage } from './messages.js';
import { decodeEddsaPresignature, encodeEddsaPresignature, EddsaPresignProtocol } from './presign.js';
import { dkgKeyShares, signingParties } from './test-fixtures.js';

const keys = dkgKeyShares(2, [0, 1, 2]);
const points = [1n, 2n, 3n, 5n, 8n].map((k) => ed25519.Point.BASE.multiply(k).toBytes());
const point = fc.constantFrom(...points);
const pair = fc.record({ hiding: point, binding: point });
const scalar = fc.bigInt({ min: 0n, max: ED25519.Fn.ORDER - 1n }).map((s) => ED25519.scalarToBytes(s));
const digest = fc.uint8Array({ minLength: 32, maxLength: 32 });
const message: fc.Arbitrary<EddsaMessage> = fc.oneof(
  pair.map((commitments) => ({ kind: 'commitments' as const, commitments })),
  fc.uniqueArray(fc.integer({ min: 0, max: 0xffff_ffff }), { maxLength: 8 }).chain((ids) =>
    fc.tuple(fc.array(pair, { minLength: ids.length, maxLength: ids.length }), digest).map(([pairs, payloadDigest]) => ({
      kind: 'signing-package' as const,
      commitments: new Map(ids.map((id, i) => [id, pairs[i]!])),
      payloadDigest,
    })),
  ),
  fc.tuple(scalar, digest).map(([share, payloadDigest]) => ({ kind: 'signature-share' as const, share, payloadDigest })),
  digest.map((digest) => ({ kind: 'commitment-digest' as const, digest })),
);

/** Random bytes, half of them behind a valid header so the fuzzing reaches the message bodies. */
const hostileBytes = fc.oneof(
  fc.uint8Array({ maxLength: 400 }),
  fc.tuple(fc.integer({ min: 1, max: 4 }), fc.uint8Array({ maxLength: 400 })).map(([tag, body]) => new Uint8Array([1, tag, ...body])),
);

function decodesOrThrowsDecodeError(decode: (bytes: Uint8Array) => unknown, bytes: Uint8Array): void {
  try {
    decode(bytes);
  } catch (error) {
    expect(error).toBeInstanceOf(DecodeError);
  }
}

describe('EdDSA wire format', () => {
  it('round-trips every message kind, sorting a signing package canonically', () => {
    fc.assert(
      fc.property(message, (m) => {
        const bytes = encodeEddsaMessage(m);
        expect(bytes[0]).toBe(1); // wire version
        const decoded = decodeEddsaMessage(bytes);
        expect(encodeEddsaMessage(decoded)).toEqual(bytes);
        if (m.kind === 'signing-package' && decoded.kind === 'signing-package') {
          expect([...decoded.commitments.keys()]).toEqual([...m.commitments.keys()].sort((a, b) => a - b));
        }
      }),
      { numRuns: 100 },
    );
  });

  it('a message is a few dozen bytes: commitments 66, a share with its payload digest 66, a 3-signer package 242', () => {
    const payloadDigest = new Uint8Array(32);
    expect(encodeEddsaMessage({ kind: 'commitments', commitments: { hiding: points[0]!, binding: points[1]! } })).toHaveLength(66);
    expect(encodeEddsaMessage({ kind: 'signature-share', share: new Uint8Array(32), payloadDigest })).toHaveLength(66);
    const list = new Map([0, 1, 2].map((p) => [p, { hiding: points[0]!, binding: points[1]! }]));
    expect(encodeEddsaMessage({ kind: 'signing-package', commitments: list, payloadDigest })).toHaveLength(2 + 4 + 3 * 68 + 32);
    expect(() => encodeEddsaMessage({ kind: 'signature-share', share: new Uint8Array(32), payloadDigest: new Uint8Array(31) })).toThrow(/payload digest/);
  });

  it('random bytes into the message decoder give a DecodeError or a canonical message, never anything else', () => {
    fc.assert(
      fc.property(hostileBytes, (bytes) => {
        decodesOrThrowsDecodeError((b) => expect(encodeEddsaMessage(decodeEddsaMessage(b))).toEqual(b), bytes);
      }),
      { numRuns: 2000 },
    );
  });

  it('refuses another wire version, unsorted or duplicated participants and counts above the limit', () => {
    const share = encodeEddsaMessage({ kind: 'signature-share', share: new Uint8Array(32), payloadDigest: new Uint8Array(32) });
    expect(() => decodeEddsaMessage(new Uint8Array([2, ...share.subarray(1)]))).toThrow(/wire version 2/);
    const one = { hiding: points[0]!, binding: points[1]! };
    const pkg = encodeEddsaMessage({ kind: 'signing-package', commitments: new Map([[5, one], [7, one]]), payloadDigest: new Uint8Array(32) });
    const swapped = new Uint8Array(pkg);
    swapped.set(pkg.subarray(6 + 68, 6 + 68 + 4), 6); // second id written first, twice
    expect(() => decodeEddsaMessage(swapped)).toThrow(/strictly ascending/);
    const tooMany = new Uint8Array([1, 2, ...new Uint8Array(new Uint32Array([MAX_SIGNERS + 1]).buffer)]);
    expect(() => decodeEddsaMessage(tooMany)).toThrow(/exceeds the limit/);
  });
});

describe('EdDSA presignature storage encoding', () => {
  const stored = encodeEddsaPresignature(
    runProtocols(new Map([0, 2].map((me) => [me, new EddsaPresignProtocol({ keyShare: keys.get(me)!, participants: [0, 2] })]))).outputs.get(0)!,
  );

  it('random bytes into the presignature decoder give a DecodeError or a presignature that re-encodes identically', () => {
    const near = fc.tuple(fc.nat({ max: stored.length - 1 }), fc.integer({ min: 0, max: 255 })).map(([at, value]) => {
      const mutated = new Uint8Array(stored);
      mutated[at] = value;
      return mutated;
    });
    fc.assert(
      fc.property(fc.oneof(fc.uint8Array({ maxLength: 400 }), near), (bytes) => {
        decodesOrThrowsDecodeError((b) => expect(encodeEddsaPresignature(decodeEddsaPresignature(b))).toEqual(b), bytes);
      }),
      { numRuns: 500 },
    );
  });

  it('refuses truncation, trailing bytes and zeroed (used) nonces', () => {
    expect(() => decodeEddsaPresignature(stored.subarray(0, stored.length - 1))).toThrow(DecodeError);
    expect(() => decodeEddsaPresignature(new Uint8Array([...stored, 0]))).toThrow(/trailing bytes/);
    const used = new Uint8Array(stored);
    used.fill(0, stored.length - 32);
    expect(() => decodeEddsaPresignature(used)).toThrow(/already used/);
  });
});

describe('sign and presign protocols on hostile bytes', () => {
  it('random bytes from a participant end in a ProtocolAbort naming it, never another exception', () => {
    const tweak = deriveTweak('fuzz.near', 'p');
    fc.assert(
      fc.property(hostileBytes, fc.constantFrom(0, 1), (bytes, receiver) => {
        const parties = signingParties(keys, { signers: [0, 1], coordinator: 0, payload: new Uint8Array(1), tweak });
        const presign = new EddsaPresignProtocol({ keyShare: keys.get(receiver)!, participants: [0, 1] });
        for (const party of [parties.get(receiver)!, presign]) {
          party.poke();
          party.message(1 - receiver, bytes);
          try {
            for (let i = 0; i < 3; i += 1) if (party.poke().kind === 'wait') break;
          } catch (error) {
            expect(error).toBeInstanceOf(ProtocolAbort);
            expect(error).toMatchObject({ culprit: 1 - receiver });
          }
        }
      }),
      { numRuns: 150 },
    );
  });
});

describe('security invariant 1 in this folder', () => {
  it('no product file uses a trusted dealer, reconstructs a secret, or imports test helpers', () => {
    const folder = dirname(fileURLToPath(import.meta.url));
    const productFiles = readdirSync(folder).filter((f) => f.endsWith('.ts') && !f.endsWith('.test.ts') && f !== 'test-fixtures.ts');
    expect(productFiles.length).toBeGreaterThan(3);
    for (const file of productFiles) {
      const source = readFileSync(`${folder}/${file}`, 'utf8');
      expect(source).not.toMatch(/from '[^']*test-(fixtures|helpers)(\.js)?'/);
      expect(source).not.toMatch(/\b(trustedDealer|combineSecret|interpolateSecret)\(/);
    }
  });
});
