import fc from 'fast-check';
import { randomBytes } from '@noble/hashes/utils.js';
import { WIRE_VERSION } from '../../../codec/binary.js';
import { DecodeError, ProtocolAbort } from '../../errors.js';
import { randomScalar, SECP256K1 } from '../../group.js';
import { bytesToHex } from '@noble/curves/utils.js';
import type { EncodedPoint } from './points.js';
import { correctionBytes } from './ot-extension.js';
import * as wire from './messages.js';
import { MTA_OTS } from './mta.js';
import { generateTriples } from './triple-generation.js';

const Fn = SECP256K1.Fn;
const shape: wire.RunShape = { batchSize: 2, threshold: 2 };
const scalar = fc.bigInt({ min: 0n, max: Fn.ORDER - 1n });
const point = fc.bigInt({ min: 1n, max: Fn.ORDER - 1n }).map((s) => SECP256K1.scaleBase(s).toBytes(false));
const bytes = (length: number) => fc.uint8Array({ minLength: length, maxLength: length });
const points = (count: number) => fc.array(point, { minLength: count, maxLength: count });
const scalars = (count: number) => fc.array(scalar, { minLength: count, maxLength: count });
const dlogProof = fc.record({ commitment: point, response: scalar });

const sameBytes = (a: readonly EncodedPoint[], b: readonly EncodedPoint[]) => {
  expect(b.map(bytesToHex)).toEqual(a.map(bytesToHex));
};

/** Every decoder, with the shape a run of `shape` gives it. */
const decoders: Record<string, (data: Uint8Array) => unknown> = {
  commitmentHash: wire.decodeCommitmentHash,
  commitmentOpening: (data) => wire.decodeCommitmentOpening(data, shape),
  productCommitments: (data) => wire.decodeProductCommitments(data, shape),
  multiplicationCommitments: (data) => wire.decodeMultiplicationCommitments(data, shape),
  baseOtSenderPoint: wire.decodeBaseOtSenderPoint,
  sharesWithPoints: (data) => wire.decodeSharesAndBaseOt(data, shape, true),
  sharesWithoutPoints: (data) => wire.decodeSharesAndBaseOt(data, shape, false),
  otCorrection: (data) => wire.decodeOtCorrection(data, shape),
  otChallenge: wire.decodeOtChallenge,
  otCheckAnswer: wire.decodeOtCheckAnswer,
  mtaCorrections: (data) => wire.decodeMtaCorrections(data, shape),
  mtaCoefficients: (data) => wire.decodeMtaCoefficients(data, shape),
  productShares: (data) => wire.decodeProductShares(data, shape),
};

describe('triple message codec', () => {
  it('round-trips the commitment opening', () => {
    const commitmentsArb = fc.record({
      e: fc.array(points(2), { minLength: 2, maxLength: 2 }),
      f: fc.array(points(2), { minLength: 2, maxLength: 2 }),
      l: fc.array(points(1), { minLength: 2, maxLength: 2 }),
    });
    fc.assert(
      fc.property(bytes(32), bytes(32), commitmentsArb, dlogProof, (confirmation, randomizer, commitments, proof) => {
        const encodedCommitments = wire.encodeCommitments(commitments);
        const decoded = wire.decodeCommitmentOpening(wire.encodeCommitmentOpening({ confirmation, randomizer, encodedCommitments, proof }), shape);
        expect(decoded.confirmation).toEqual(confirmation);
        expect(decoded.randomizer).toEqual(randomizer);
        expect(decoded.encodedCommitments).toEqual(encodedCommitments);
        commitments.e.forEach((e, m) => sameBytes(e, decoded.commitments.e[m]!));
        commitments.l.forEach((l, m) => sameBytes(l, decoded.commitments.l[m]!));
        expect(decoded.proof.response).toBe(proof.response);
        sameBytes([proof.commitment], [decoded.proof.commitment]);
      }),
      { numRuns: 5 },
    );
  });

  it('round-trips the product and multiplication commitments', () => {
    const dlogEq = fc.record({ commitment1: point, commitment2: point, response: scalar });
    fc.assert(
      fc.property(points(2), fc.array(dlogEq, { minLength: 2, maxLength: 2 }), dlogProof, (products, proofs, dlog) => {
        const decoded = wire.decodeProductCommitments(wire.encodeProductCommitments({ products, proofs }), shape);
        sameBytes(products, decoded.products);
        sameBytes(proofs.map((p) => p.commitment2), decoded.proofs.map((p) => p.commitment2));
        expect(decoded.proofs.map((p) => p.response)).toEqual(proofs.map((p) => p.response));
        const multiplication = wire.decodeMultiplicationCommitments(wire.encodeMultiplicationCommitments({ commitments: products, proof: dlog }), shape);
        sameBytes(products, multiplication.commitments);
        expect(multiplication.proof.response).toBe(dlog.response);
      }),
      { numRuns: 5 },
    );
  });

  it('round-trips the private messages', () => {
    fc.assert(
      fc.property(scalars(2), scalars(2), scalars(4), bytes(16), bytes(32), point, (eShares, fShares, coefficients, seed, answer, y) => {
        const baseOtPoints = Array.from({ length: 128 }, () => y);
        const shares = wire.decodeSharesAndBaseOt(wire.encodeSharesAndBaseOt({ eShares, fShares, baseOtPoints }), shape, true);
        expect([shares.eShares, shares.fShares]).toEqual([eShares, fShares]);
        sameBytes(shares.baseOtPoints!, baseOtPoints);
        expect(wire.decodeSharesAndBaseOt(wire.encodeSharesAndBaseOt({ eShares, fShares }), shape, false).baseOtPoints).toBeUndefined();
        sameBytes([wire.decodeBaseOtSenderPoint(wire.encodeBaseOtSenderPoint(y))], [y]);
        expect(wire.decodeOtChallenge(wire.encodeOtChallenge(seed))).toEqual(seed);
        expect(wire.decodeOtCheckAnswer(wire.encodeOtCheckAnswer(answer))).toEqual(answer);
        expect(wire.decodeMtaCoefficients(wire.encodeMtaCoefficients({ seed, firstCoefficients: coefficients }), shape)).toEqual({ seed, firstCoefficients: coefficients });
        expect(wire.decodeProductShares(wire.encodeProductShares(eShares), shape)).toEqual(eShares);
      }),
      { numRuns: 10 },
    );
    const correction = randomBytes(correctionBytes(wire.pairOtCount(shape.batchSize)));
    expect(wire.decodeOtCorrection(wire.encodeOtCorrection(correction), shape)).toEqual(correction);
    const corrections = new Uint8Array(wire.pairOtCount(shape.batchSize) * 32);
    corrections.set(SECP256K1.scalarToBytes(randomScalar(Fn)), 64);
    expect(wire.decodeMtaCorrections(wire.encodeMtaCorrections(corrections), shape)).toEqual(corrections);
    expect(wire.pairOtCount(shape.batchSize)).toBe(4 * MTA_OTS);
  });

  it('rejects non-canonical scalars, invalid points and trailing bytes with DecodeError', () => {
    const tooBig = wire.encodeProductShares([0n, 0n]);
    tooBig.fill(0xff, 2, 34);
    expect(() => wire.decodeProductShares(tooBig, shape)).toThrow(DecodeError);
    const notAPoint = wire.encodeBaseOtSenderPoint(SECP256K1.generator.toBytes(false));
    notAPoint[40]! ^= 1;
    expect(() => wire.decodeBaseOtSenderPoint(notAPoint)).toThrow(DecodeError);
    expect(() => wire.decodeOtChallenge(Uint8Array.of(...wire.encodeOtChallenge(new Uint8Array(16)), 0))).toThrow(DecodeError);
    const otherVersion = wire.encodeOtChallenge(new Uint8Array(16));
    otherVersion[0] = WIRE_VERSION + 1;
    expect(() => wire.decodeOtChallenge(otherVersion)).toThrow(/wire version/);
    const corrections = wire.encodeMtaCorrections(new Uint8Array(wire.pairOtCount(shape.batchSize) * 32).fill(0xff));
    expect(() => wire.decodeMtaCorrections(corrections, shape)).toThrow(DecodeError);
  });

  it.each(Object.entries(decoders))('%s: random bytes give a value or a DecodeError, never a crash', (_, decode) => {
    const anyTag = fc.constantFrom(...wire.ALL_TAGS);
    const headed = fc.tuple(anyTag, fc.uint8Array({ maxLength: 600 })).map(([tag, body]) => Uint8Array.of(WIRE_VERSION, tag, ...body));
    fc.assert(
      fc.property(fc.oneof(fc.uint8Array({ maxLength: 600 }), headed), (data) => {
        try {
          decode(data);
        } catch (error) {
          expect(error).toBeInstanceOf(DecodeError);
        }
      }),
      { numRuns: 150 },
    );
  });

  it('bytes without a valid header delivered to a running party end in a ProtocolAbort blaming the sender', () => {
    const garbage = fc.uint8Array({ maxLength: 200 }).filter((data) => data[0] !== WIRE_VERSION);
    fc.assert(
      fc.property(garbage, (data) => {
        const party = generateTriples({ participants: [0, 1, 2], me: 0, threshold: 2, batchSize: 1, sessionId: new Uint8Array(32) });
        party.message(1, data);
        let abort: unknown;
        try {
          for (let i = 0; i < 10; i += 1) if (party.poke().kind === 'wait') break;
          party.message(1, data);
          party.poke();
        } catch (error) {
          abort = error;
        }
        expect(abort).toBeInstanceOf(ProtocolAbort);
        expect((abort as ProtocolAbort).culprit).toBe(1);
      }),
      { numRuns: 8 },
    );
  });
});
