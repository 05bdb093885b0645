import { ed25519 } from '@noble/curves/ed25519.js';
import { deriveTweak } from '../kdf.js';
import type { ParticipantId, Protocol } from '../protocol.js';
import { runProtocols, settleProtocols } from '../runner.js';
import type { KeyShare } from '../key-share.js';
import { decodeEddsaMessage, encodeEddsaMessage } from './messages.js';
import { decodeEddsaPresignature, encodeEddsaPresignature, EddsaPresignProtocol, type EddsaPresignature } from './presign.js';
import { EddsaSignProtocol } from './sign.js';
import { coordinatorSignature, derivedPublicKeyOf, dkgKeyShares, signingParties } from './test-fixtures.js';
import { verifyEd25519Native } from '../ed25519-native.js';

const tweak = deriveTweak('bob.near', 'solana-7');
const payload = new TextEncoder().encode('pre-committed nonces, one message per signer');
const participants = [1, 3, 4, 6, 8];
const signers = [1, 4, 6];

function presignParties(keys: ReadonlyMap<ParticipantId, KeyShare>, set: readonly ParticipantId[]): Map<ParticipantId, Protocol<EddsaPresignature>> {
  return new Map(set.map((me) => [me, new EddsaPresignProtocol({ keyShare: keys.get(me)!, participants: set })]));
}

describe('FROST nonce pre-commitment', () => {
  const keys = dkgKeyShares(3, participants);

  it('agrees on one commitment list, then signs with one message per signer and none from the coordinator', () => {
    const presignatures = runProtocols(presignParties(keys, signers)).outputs;
    const lists = [...presignatures.values()].map((p) => encodeEddsaMessage({ kind: 'signing-package', commitments: p.commitments, payloadDigest: new Uint8Array(32) }));
    expect(new Set(lists.map((l) => Buffer.from(l).toString('hex'))).size).toBe(1);

    const coordinator = 4;
    const run = runProtocols(signingParties(keys, { signers, coordinator, payload, tweak, presignatures }));
    expect(run.messagesSent.get(coordinator) ?? 0).toBe(0);
    for (const signer of signers) {
      if (signer === coordinator) continue;
      expect(run.messagesSent.get(signer)).toBe(1);
      expect(run.bytesSent.get(signer)).toBe(66); // version, tag, 32-byte share, payload SHA-256
    }
    const derived = derivedPublicKeyOf(keys.get(1)!, tweak);
    expect(verifyEd25519Native(coordinatorSignature(run.outputs, coordinator), payload, derived)).toBe(true);
    expect(ed25519.verify(coordinatorSignature(run.outputs, coordinator), payload, derived)).toBe(true);
  });

  it('round-trips through the storage encoding and signs with the decoded copies', () => {
    const presignatures = runProtocols(presignParties(keys, signers)).outputs;
    const stored = new Map([...presignatures].map(([p, presignature]) => [p, encodeEddsaPresignature(presignature)]));
    const restored = new Map([...stored].map(([p, bytes]) => [p, decodeEddsaPresignature(bytes)]));
    expect(restored.get(6)).toEqual(presignatures.get(6));
    const run = runProtocols(signingParties(keys, { signers, coordinator: 1, payload, tweak, presignatures: restored }));
    expect(verifyEd25519Native(coordinatorSignature(run.outputs, 1), payload, derivedPublicKeyOf(keys.get(1)!, tweak))).toBe(true);
    expect(() => decodeEddsaPresignature(encodeEddsaMessage({ kind: 'signature-share', share: new Uint8Array(32), payloadDigest: new Uint8Array(32) }))).toThrow(/unknown message tag/);
  });

  it('is single use: signing consumes the nonces, and a used presignature can be neither signed with nor stored', () => {
    const presignatures = runProtocols(presignParties(keys, signers)).outputs;
    runProtocols(signingParties(keys, { signers, coordinator: 6, payload, tweak, presignatures }));
    for (const presignature of presignatures.values()) {
      expect(presignature.nonces.hiding.every((byte) => byte === 0)).toBe(true);
      expect(() => encodeEddsaPresignature(presignature)).toThrow(/already used/);
    }
    expect(() => signingParties(keys, { signers, coordinator: 6, payload, tweak, presignatures })).toThrow(/already used/);
  });

  it('a signer whose stored presignature does not match its own commitment aborts without blaming the coordinator', () => {
    const presignatures = runProtocols(presignParties(keys, signers)).outputs;
    const own = presignatures.get(6)!;
    // A corrupted record: someone else's commitments in our own slot.
    const corrupted = { ...own, commitments: new Map(own.commitments).set(6, own.commitments.get(1)!) };
    const run = settleProtocols(signingParties(keys, { signers, coordinator: 1, payload, tweak, presignatures: new Map(presignatures).set(6, corrupted) }));
    expect(run.aborts.get(6)).toMatchObject({ step: 'round-2/sign', culprit: undefined });
    expect(run.outputs.has(1)).toBe(false);
  });

  it('refuses a presignature of another participant or another signing set', () => {
    const presignatures = runProtocols(presignParties(keys, signers)).outputs;
    const base = { keyShare: keys.get(1)!, coordinator: 1, payload, tweak };
    expect(() => new EddsaSignProtocol({ ...base, signers, presignature: presignatures.get(4)! })).toThrow(/belongs to participant 4/);
    expect(() => new EddsaSignProtocol({ ...base, signers: [1, 3, 4], presignature: presignatures.get(1)! })).toThrow(/another signing set/);
  });

  it('aborts everyone when a participant sends different commitments to different peers', () => {
    const other = runProtocols(presignParties(keys, signers)).outputs.get(4)!.commitments.get(4)!;
    const run = settleProtocols(presignParties(keys, signers), {
      intercept: (envelope) => {
        if (envelope.from !== 4 || envelope.to !== 6 || decodeEddsaMessage(envelope.data).kind !== 'commitments') return [envelope];
        return [{ ...envelope, data: encodeEddsaMessage({ kind: 'commitments', commitments: other }) }];
      },
    });
    expect(run.outputs.size).toBe(0);
    expect([...run.aborts.keys()].sort()).toEqual(signers);
    for (const abort of run.aborts.values()) expect(abort).toMatchObject({ protocol: 'eddsa-presign', step: 'round-2/echo' });
  });

  it('aborts on a duplicated commitment message, naming the sender', () => {
    const run = settleProtocols(presignParties(keys, signers), {
      intercept: (envelope) => (envelope.from === 6 && envelope.to === 1 && decodeEddsaMessage(envelope.data).kind === 'commitments' ? [envelope, envelope] : [envelope]),
    });
    expect(run.aborts.get(1)).toMatchObject({ step: 'round-1/commitments', culprit: 6 });
    expect(run.outputs.has(1)).toBe(false);
  });
});
