import { ed25519 } from '@noble/curves/ed25519.js';
import { DecodeError, ProtocolAbort } from '../errors.js';
import { ED25519 } from '../group.js';
import { deriveTweak } from '../kdf.js';
import type { ParticipantId } from '../protocol.js';
import { runProtocols, settleProtocols, type Envelope, type SettledRun } from '../runner.js';
import { decodeEddsaMessage, encodeEddsaMessage, type EddsaMessage } from './messages.js';
import { EddsaPresignProtocol, type EddsaPresignature } from './presign.js';
import { EddsaSignProtocol, InvalidSignatureShares, SignedPayloadMismatch, type EddsaSignOutput } from './sign.js';
import { dkgKeyShares, signingParties } from './test-fixtures.js';

const tweak = deriveTweak('mallory.near', 'path');
const payload = new TextEncoder().encode('malicious-party tests');
const keys = dkgKeyShares(3, [0, 1, 2, 3, 4]);
const signers = [0, 2, 3];
const coordinator = 0;

type Tamper = (envelope: Envelope, message: EddsaMessage) => readonly Envelope[];

function signWith(tamper: Tamper, message = payload): SettledRun<EddsaSignOutput> {
  return settleProtocols(signingParties(keys, { signers, coordinator, payload: message, tweak }), {
    intercept: (envelope) => tamper(envelope, decodeEddsaMessage(envelope.data)),
  });
}

function replaceWith(envelope: Envelope, message: EddsaMessage): Envelope[] {
  return [{ ...envelope, data: encodeEddsaMessage(message) }];
}

function plusOne(share: Uint8Array): Uint8Array {
  return ED25519.scalarToBytes(ED25519.Fn.add(ED25519.scalarFromBytes(share), 1n));
}

/** Nothing was returned as a signature by anyone. */
function expectNoSignature(run: SettledRun<EddsaSignOutput>): void {
  expect([...run.outputs.values()].some((output) => output.role === 'coordinator')).toBe(false);
}

describe('FROST signing against malicious participants', () => {
  it('names the signer whose signature share is wrong (checked with verifyShare after the aggregate fails)', () => {
    const run = signWith((e, m) => (m.kind === 'signature-share' && e.from === 2 ? replaceWith(e, { ...m, share: plusOne(m.share) }) : [e]));
    const abort = run.aborts.get(coordinator);
    expect(abort).toBeInstanceOf(InvalidSignatureShares);
    expect(abort).toMatchObject({ protocol: 'eddsa-sign', step: 'aggregate', culprit: 2, culprits: [2] });
    expectNoSignature(run);
  });

  it('names every signer with a wrong share', () => {
    const run = signWith((e, m) => (m.kind === 'signature-share' ? replaceWith(e, { ...m, share: plusOne(m.share) }) : [e]));
    expect(run.aborts.get(coordinator)).toMatchObject({ culprits: [2, 3] });
    expectNoSignature(run);
  });

  it('blames a signer whose share is replayed from an earlier run with the same signers', () => {
    const earlierShares = new Map<ParticipantId, Uint8Array>();
    runProtocols(signingParties(keys, { signers, coordinator, payload, tweak }), {
      intercept: (e) => {
        const m = decodeEddsaMessage(e.data);
        if (m.kind === 'signature-share') earlierShares.set(e.from, e.data);
        return [e];
      },
    });
    const run = signWith((e, m) => (m.kind === 'signature-share' && e.from === 3 ? [{ ...e, data: earlierShares.get(3)! }] : [e]));
    expect(run.aborts.get(coordinator)).toMatchObject({ step: 'aggregate', culprit: 3 });
    expectNoSignature(run);
  });

  it('blames a signer whose commitment is not a prime-order point', () => {
    // The identity and a point of order 8 (both valid encodings, both refused by RFC 9591 §3.1).
    const identity = ed25519.Point.ZERO.toBytes();
    const smallOrder = ed25519.Point.fromHex('c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac03fa');
    expect(smallOrder.isSmallOrder()).toBe(true);
    for (const bad of [identity, smallOrder.toBytes()]) {
      const run = signWith((e, m) =>
        m.kind === 'commitments' && e.from === 3 ? replaceWith(e, { kind: 'commitments', commitments: { hiding: bad, binding: m.commitments.binding } }) : [e],
      );
      const abort = run.aborts.get(coordinator);
      expect(abort).toMatchObject({ step: 'receive', culprit: 3 });
      expect(abort?.cause).toBeInstanceOf(DecodeError);
      expectNoSignature(run);
    }
  });

  it('a signer refuses a commitment list in which its own commitment was changed, blaming the coordinator', () => {
    const run = signWith((e, m) => {
      if (m.kind !== 'signing-package' || e.to !== 2) return [e];
      const forged = new Map(m.commitments);
      forged.set(2, m.commitments.get(3)!);
      return replaceWith(e, { ...m, commitments: forged });
    });
    expect(run.aborts.get(2)).toMatchObject({ step: 'round-2/sign', culprit: coordinator });
    expect(run.outputs.has(2)).toBe(false);
    expectNoSignature(run);
    expect(run.stalled).toContain(coordinator);
  });

  it('a signer refuses a commitment list holding a small-order point, blaming the coordinator', () => {
    const smallOrder = ed25519.Point.fromHex('c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac03fa').toBytes();
    const run = signWith((e, m) => {
      if (m.kind !== 'signing-package' || e.to !== 2) return [e];
      const forged = new Map(m.commitments);
      forged.set(3, { hiding: smallOrder, binding: m.commitments.get(3)!.binding });
      return replaceWith(e, { ...m, commitments: forged });
    });
    expect(run.aborts.get(2)).toMatchObject({ step: 'round-2/sign', culprit: coordinator });
    expectNoSignature(run);
  });

  it('a signer refuses a commitment list that leaves out a signer', () => {
    const run = signWith((e, m) => {
      if (m.kind !== 'signing-package') return [e];
      const partial = new Map(m.commitments);
      partial.delete(3);
      return replaceWith(e, { ...m, commitments: partial });
    });
    expect(run.aborts.get(2)).toMatchObject({ step: 'round-2/signing-package', culprit: coordinator });
    expectNoSignature(run);
  });

  it('aborts on a duplicated signature share or commitment, naming the sender', () => {
    const duplicateShare = signWith((e, m) => (m.kind === 'signature-share' && e.from === 3 ? [e, e] : [e]));
    expect(duplicateShare.aborts.get(coordinator)).toMatchObject({ step: 'round-2/signature-share', culprit: 3 });
    expectNoSignature(duplicateShare);
    const duplicateCommitment = signWith((e, m) => (m.kind === 'commitments' && e.from === 2 ? [e, e] : [e]));
    expect(duplicateCommitment.aborts.get(coordinator)).toMatchObject({ step: 'round-1/commitments', culprit: 2 });
    expectNoSignature(duplicateCommitment);
  });

  it('aborts on a round-1 message replayed after the commitment list was fixed', () => {
    let replay: Envelope | undefined;
    const run = signWith((e, m) => {
      if (m.kind === 'commitments' && e.from === 2) replay = e;
      if (m.kind === 'signature-share' && e.from === 2) return [replay!, e];
      return [e];
    });
    expect(run.aborts.get(coordinator)).toMatchObject({ step: 'receive', culprit: 2 });
    expect(run.aborts.get(coordinator)?.message).toMatch(/unexpected commitments/);
    expectNoSignature(run);
  });

  it('aborts on a message from a non-participant: an outsider, or a key holder who is not signing this time', () => {
    for (const stranger of [99, 4]) {
      const run = signWith((e, m) => (m.kind === 'signature-share' && e.from === 2 ? [e, { ...e, from: stranger }] : [e]));
      expect(run.aborts.get(coordinator)).toMatchObject({ step: 'receive', culprit: stranger });
      expectNoSignature(run);
    }
  });

  it('aborts on oversized or malformed messages with a DecodeError cause', () => {
    const oversized = signWith((e, m) => (m.kind === 'signature-share' && e.from === 3 ? [{ ...e, data: new Uint8Array([...e.data, 0]) }] : [e]));
    expect(oversized.aborts.get(coordinator)).toMatchObject({ culprit: 3, cause: expect.any(DecodeError) });
    expect(oversized.aborts.get(coordinator)?.message).toMatch(/trailing bytes/);
    expectNoSignature(oversized);

    const unreduced = signWith((e, m) => (m.kind === 'signature-share' && e.from === 3 ? [{ ...e, data: new Uint8Array([...e.data.subarray(0, 2), ...new Uint8Array(32).fill(0xff)]) }] : [e]));
    expect(unreduced.aborts.get(coordinator)?.message).toMatch(/not below the group order/);
    expectNoSignature(unreduced);

    const hugeList = signWith((e, m) => (m.kind === 'signing-package' && e.to === 2 ? [{ ...e, data: new Uint8Array([1, 2, 0xff, 0xff, 0xff, 0xff]) }] : [e]));
    expect(hugeList.aborts.get(2)).toMatchObject({ culprit: coordinator, cause: expect.any(DecodeError) });
    expect(hugeList.aborts.get(2)?.message).toMatch(/exceeds the limit/);
  });

  it('names a bad share when signing with presignatures too', () => {
    const presignatures = runProtocols(new Map(signers.map((me) => [me, new EddsaPresignProtocol({ keyShare: keys.get(me)!, participants: signers })]))).outputs;
    const run = settleProtocols(signingParties(keys, { signers, coordinator: 3, payload, tweak, presignatures }), {
      intercept: (e) => {
        const m = decodeEddsaMessage(e.data);
        return m.kind === 'signature-share' && e.from === 0 ? replaceWith(e, { ...m, share: plusOne(m.share) }) : [e];
      },
    });
    expect(run.aborts.get(3)).toMatchObject({ step: 'aggregate', culprit: 0 });
    expectNoSignature(run);
  });

  describe('signers that disagree on the payload', () => {
    const otherPayload = new TextEncoder().encode('a different request');
    /** Everyone signs `payload` except `odd`, which signs `otherPayload`. */
    function partiesWithOddPayload(odd: ParticipantId, presignatures?: ReadonlyMap<ParticipantId, EddsaPresignature>) {
      const parties = signingParties(keys, { signers, coordinator, payload, tweak, presignatures });
      parties.set(odd, new EddsaSignProtocol({ keyShare: keys.get(odd)!, signers, coordinator, payload: otherPayload, tweak, presignature: presignatures?.get(odd) }));
      return parties;
    }

    it('a signer refuses a signing package for another payload and makes no share', () => {
      const run = settleProtocols(partiesWithOddPayload(3));
      const abort = run.aborts.get(3);
      expect(abort).toBeInstanceOf(SignedPayloadMismatch);
      expect(abort).toMatchObject({ step: 'round-2/signing-package', participant: coordinator });
      expect(run.stalled).toContain(coordinator);
      expectNoSignature(run);
    });

    it('with presignatures the coordinator names the signer whose payload differs, not a bad share', () => {
      const presignatures = runProtocols(new Map(signers.map((me) => [me, new EddsaPresignProtocol({ keyShare: keys.get(me)!, participants: signers })]))).outputs;
      const run = settleProtocols(partiesWithOddPayload(2, presignatures));
      const abort = run.aborts.get(coordinator);
      expect(abort).toBeInstanceOf(SignedPayloadMismatch);
      expect(abort).not.toBeInstanceOf(InvalidSignatureShares);
      expect(abort).toMatchObject({ step: 'round-2/signature-share', participant: 2 });
      expectNoSignature(run);
    });

    it('a share whose payload digest was altered on the way is refused the same way', () => {
      const run = signWith((e, m) => (m.kind === 'signature-share' && e.from === 3 ? replaceWith(e, { ...m, payloadDigest: new Uint8Array(32) }) : [e]));
      expect(run.aborts.get(coordinator)).toMatchObject({ name: 'SignedPayloadMismatch', participant: 3 });
      expectNoSignature(run);
    });
  });

  it('every abort is a ProtocolAbort that poke keeps throwing', () => {
    const parties = signingParties(keys, { signers, coordinator, payload, tweak });
    const party = parties.get(coordinator)!;
    party.message(77, new Uint8Array([1]));
    expect(() => party.poke()).toThrow(ProtocolAbort);
    expect(() => party.poke()).toThrow(/participant 77, who is not in this run/);
  });
});
