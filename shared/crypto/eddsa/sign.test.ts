import { ed25519 } from '@noble/curves/ed25519.js';
import type { RNG } from '@noble/curves/abstract/frost.js';
import { bytesToHex, bytesToNumberLE, hexToBytes } from '@noble/curves/utils.js';
import { ED25519 } from '../group.js';
import { deriveEd25519PublicKey, deriveTweak } from '../kdf.js';
import type { ParticipantId } from '../protocol.js';
import { runProtocols } from '../runner.js';
import type { KeyShare } from '../key-share.js';
import { EddsaInputError } from './frost-key.js';
import { decodeEddsaMessage } from './messages.js';
import { EddsaPayloadTooLong, EddsaSignProtocol, MAX_EDDSA_PAYLOAD_BYTES } from './sign.js';
import { verifyEd25519Native } from '../ed25519-native.js';
import {
  coordinatorSignature,
  dealtKeyShares,
  derivedPublicKeyOf,
  dkgKeyShares,
  keySharesFromShares,
  signingParties,
} from './test-fixtures.js';

const tweak = deriveTweak('alice.near', 'solana-1');
const payload = new TextEncoder().encode('transfer 1 SOL to bob');

function sign(threshold: number, participants: readonly ParticipantId[], signers: readonly ParticipantId[], message = payload) {
  const keys = dkgKeyShares(threshold, participants);
  const coordinator = signers[signers.length - 1]!;
  const run = runProtocols(signingParties(keys, { signers, coordinator, payload: message, tweak }));
  return { keys, run, coordinator, signature: coordinatorSignature(run.outputs, coordinator) };
}

describe('FROST(Ed25519) signing under a NEAR-derived key', () => {
  it.each([
    [2, 3],
    [3, 5],
    [5, 7],
  ])('%i-of-%i signs a signature Node crypto and noble accept under root + ε·B', (threshold, n) => {
    const participants = Array.from({ length: n }, (_, i) => i * 2 + 1);
    const signers = participants.slice(n - threshold);
    const { keys, run, coordinator, signature } = sign(threshold, participants, signers);

    const root = ed25519.Point.fromBytes(keys.get(participants[0]!)!.publicKey);
    const derived = deriveEd25519PublicKey(root, tweak).toBytes();
    expect(signature).toHaveLength(64);
    expect(verifyEd25519Native(signature, payload, derived)).toBe(true);
    expect(ed25519.verify(signature, payload, derived, { zip215: false })).toBe(true);
    expect(run.outputs.get(coordinator)).toMatchObject({ role: 'coordinator', derivedPublicKey: derived });
    // The tweak really moved the key: the root key does not verify the signature.
    expect(verifyEd25519Native(signature, payload, root.toBytes())).toBe(false);
    for (const signer of signers) if (signer !== coordinator) expect(run.outputs.get(signer)).toEqual({ role: 'signer' });
  });

  it('signs with any quorum of the key, including more than the threshold', () => {
    const participants = [0, 4, 7, 9];
    const keys = dkgKeyShares(2, participants);
    const derived = derivedPublicKeyOf(keys.get(0)!, tweak);
    for (const signers of [[0, 4], [7, 9], [4, 9], [0, 4, 7, 9]]) {
      const coordinator = signers[0]!;
      const run = runProtocols(signingParties(keys, { signers, coordinator, payload, tweak }));
      expect(verifyEd25519Native(coordinatorSignature(run.outputs, coordinator), payload, derived)).toBe(true);
    }
  });

  it('matches near/mpc derivation: root 4fe4ab5c… with tweak (hello, my-path) signs under 14a5f400…', () => {
    // near/mpc kdf test vectors (reference/near-mpc.md §1): root secret read little-endian mod ℓ.
    const rootSecret = ED25519.Fn.create(bytesToNumberLE(hexToBytes('1be2d390d2a3b5c70752bdd3fd3b7151f064cd7ca05322c010d2ef76727fce31')));
    const keys = dealtKeyShares(rootSecret, 2, [0, 1, 2]);
    expect(bytesToHex(keys.get(0)!.publicKey)).toBe('4fe4ab5c0e3791236e0af15836c45b1497f824df76b4b58e61121ad01ed76576');
    const nearTweak = deriveTweak('hello', 'my-path');
    const run = runProtocols(signingParties(keys, { signers: [0, 2], coordinator: 2, payload, tweak: nearTweak }));
    const output = run.outputs.get(2);
    expect(output?.role === 'coordinator' && bytesToHex(output.derivedPublicKey)).toBe('14a5f4002b886dffd3962c252a475ff17149ee4aa4f6049406c2817cb9a16aaa');
    const derived = hexToBytes('14a5f4002b886dffd3962c252a475ff17149ee4aa4f6049406c2817cb9a16aaa');
    expect(verifyEd25519Native(coordinatorSignature(run.outputs, 2), payload, derived)).toBe(true);
  });

  it('accepts payloads up to 1232 bytes (including empty) and refuses longer ones before sending anything', () => {
    for (const length of [0, MAX_EDDSA_PAYLOAD_BYTES]) {
      const message = new Uint8Array(length).fill(7);
      const { keys, signature } = sign(2, [0, 1, 2], [0, 1], message);
      expect(verifyEd25519Native(signature, message, derivedPublicKeyOf(keys.get(0)!, tweak))).toBe(true);
    }
    const keys = dkgKeyShares(2, [0, 1, 2]);
    const tooLong = new Uint8Array(MAX_EDDSA_PAYLOAD_BYTES + 1);
    const create = () => new EddsaSignProtocol({ keyShare: keys.get(0)!, signers: [0, 1], coordinator: 0, payload: tooLong, tweak });
    expect(create).toThrow(EddsaPayloadTooLong);
    expect(create).toThrow(EddsaInputError);
    expect(create).toThrow(expect.objectContaining({ length: 1233, limit: 1232, protocol: 'eddsa-sign' }));
  });

  it('refuses inputs it cannot sign with, before anything is sent', () => {
    const keys = dkgKeyShares(3, [0, 1, 2, 3]);
    const options = { keyShare: keys.get(0)!, signers: [0, 1, 2], coordinator: 0, payload, tweak };
    const refusals: [Partial<typeof options> | { keyShare: KeyShare }, RegExp][] = [
      [{ coordinator: 3 }, /coordinator 3 is not a signer/],
      [{ signers: [0, 1] }, /2 signers given; the key needs 3/],
      [{ signers: [1, 2, 3] }, /participant 0 is not among the signers/],
      [{ signers: [0, 1, 5] }, /5 hold no share/],
      [{ signers: [0, 1, 1] }, /appears twice/],
      [{ tweak: new Uint8Array(31) }, /tweak must be 32 bytes/],
      [{ keyShare: { ...keys.get(0)!, curve: 'secp256k1' } }, /Ed25519 key, not secp256k1/],
      [{ keyShare: { ...keys.get(0)!, threshold: 1 } }, /threshold of at least 2/],
    ];
    for (const [change, reason] of refusals) {
      const create = () => new EddsaSignProtocol({ ...options, ...change });
      expect(create).toThrow(EddsaInputError);
      expect(create).toThrow(reason);
    }
  });
});

describe('RFC 9591 known-answer test through the protocol', () => {
  // FROST(Ed25519, SHA-512) 2-of-3 vector: RFC 9591 Appendix E.1, as in ZcashFoundation/frost
  // frost-ed25519/tests/helpers/vectors.json. Identifiers 1, 2, 3 are participants 0, 1, 2 here.
  const vector = {
    groupPublicKey: '15d21ccd7ee42959562fc8aa63224c8851fb3ec85a3faf66040d380fb9738673',
    message: '74657374',
    shares: new Map([
      [0, '929dcc590407aae7d388761cddb0c0db6f5627aea8e217f4a033f2ec83d93509'],
      [1, 'a91e66e012e4364ac9aaa405fcafd370402d9859f7b6685c07eed76bf409e80d'],
      [2, 'd3cb090a075eb154e82fdb4b3cb507f110040905468bb9c46da8bdea643a9a02'],
    ]),
    // Signers {1, 3}: the hiding then binding nonce randomness each draws.
    nonceRandomness: new Map([
      [0, ['06894e04ee4aceec8619d5f6a0a180e2f47194d2ac306cba586b555e7c48d765', '40d6f879ff22e22409f7d808fed81f37118e7d3e4af71c0f44c60207553bcbce']],
      [2, ['fa5d950626782aade9e33fa781376d4888c2d1de7c37518bc248eb818ed0cdde', '7459a4d14ded0e365b085271be8dc6600d5b88f3978a2174297ffa32001a5afc']],
    ]),
    sigShares: new Map([
      [0, '60997f0142e43e8005027fe5ab7447dac00d22c2d7ddd9571a02613ba7d81c08'],
      [2, '79390e78bc59699c7af831f8f5fb478ec871a85f561a8641b5670ac4443f720f'],
    ]),
    signature:
      '154fb694ee7fcb37bf2381d94488c2a84b03b3352ad085feca81ad26d45852b7ecfe971ce4da95c4a95db93ac376b053897fca212ef85f99cf696bffeb178f07',
  };

  /** Hands out the vector's randomness in order, and fails loudly if asked for more. */
  function scriptedRng(values: readonly string[]): RNG {
    const queue = values.map((hex) => new Uint8Array(hexToBytes(hex)));
    return (length) => {
      const next = queue.shift();
      if (next === undefined || next.length !== length) throw new Error(`unexpected randomness request of ${length} bytes`);
      return next;
    };
  }

  // Each run captures the non-coordinator's share on the wire; the two runs cover both shares.
  it.each([0, 2])('reproduces the vector signature and signature shares with coordinator %i (zero tweak = root key)', (coordinator) => {
    const shares = new Map([...vector.shares].map(([p, share]) => [p, ED25519.scalarFromBytes(hexToBytes(share))]));
    const keys = keySharesFromShares(2, hexToBytes(vector.groupPublicKey), shares);
    const signers = [0, 2];
    const parties = new Map(
      signers.map((me) => [
        me,
        new EddsaSignProtocol({
          keyShare: keys.get(me)!,
          signers,
          coordinator,
          payload: hexToBytes(vector.message),
          tweak: new Uint8Array(32),
          rng: scriptedRng(vector.nonceRandomness.get(me)!),
        }),
      ]),
    );
    const sharesOnWire = new Map<ParticipantId, string>();
    const run = runProtocols(parties, {
      intercept: (envelope) => {
        const message = decodeEddsaMessage(envelope.data);
        if (message.kind === 'signature-share') sharesOnWire.set(envelope.from, bytesToHex(message.share));
        return [envelope];
      },
    });
    const signature = coordinatorSignature(run.outputs, coordinator);
    expect(bytesToHex(signature)).toBe(vector.signature);
    const other = coordinator === 0 ? 2 : 0;
    expect([...sharesOnWire]).toEqual([[other, vector.sigShares.get(other)]]);
    expect(verifyEd25519Native(signature, hexToBytes(vector.message), hexToBytes(vector.groupPublicKey))).toBe(true);
  });
});
