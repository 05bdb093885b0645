/**
 * Threshold ECDSA across the key's life, with the real protocols: DKG 3-of-5 → reshare to 4-of-6 with
 * two parties replaced → refresh. After each step fresh OT triples are generated among a signing set,
 * and the new shares must sign under the unchanged key (checked by ethers' ecrecover); a share from
 * before the refresh mixed with refreshed ones must not produce a signature.
 */
import { randomBytes } from '@noble/hashes/utils.js';
import { ProtocolAbort } from '../../shared/crypto/errors.js';
import type { Triple } from '../../shared/crypto/ecdsa/index.js';
import { generateTriples } from '../../shared/crypto/ecdsa/triples/index.js';
import { SECP256K1 } from '../../shared/crypto/group.js';
import { deriveSecp256k1PublicKey, deriveTweak } from '../../shared/crypto/kdf.js';
import type { KeyShare } from '../../shared/crypto/key-share.js';
import { createDkg, createRefresh, createReshare } from '../../shared/crypto/keygen/index.js';
import type { ParticipantId } from '../../shared/crypto/protocol.js';
import { runProtocols, settleProtocols } from '../../shared/crypto/runner.js';
import { byParticipant, expectValidUnder, presignAmong, presignParties, signWith } from '../support/ecdsa-protocols.js';

const OLD_SET = [0, 1, 2, 3, 4];
const NEW_SET = [0, 1, 2, 5, 6, 7];
const NEW_THRESHOLD = 4;
/** A t-subset of the new set mixing staying (0, 2) and joining (5, 7) parties. */
const SIGNERS = [0, 2, 5, 7];

function triplesAmong(signers: readonly ParticipantId[], threshold: number): ReadonlyMap<ParticipantId, readonly Triple[]> {
  const sessionId = randomBytes(32);
  return runProtocols(byParticipant(signers, (me) => generateTriples({ participants: signers, me, threshold, batchSize: 2, sessionId }))).outputs;
}

function signsUnderKey(shares: ReadonlyMap<ParticipantId, KeyShare>, publicKey: Uint8Array): void {
  const triples = triplesAmong(SIGNERS, NEW_THRESHOLD);
  const presignatures = presignAmong(SIGNERS, shares, triples, 0);
  const payloadHash = randomBytes(32);
  payloadHash[0]! &= 0x7f;
  const tweak = deriveTweak('lifecycle.test.near', 'bitcoin-1');
  const signature = signWith(presignatures, { payloadHash, tweak, entropy: randomBytes(32) }, 5);
  expectValidUnder(signature, payloadHash, deriveSecp256k1PublicKey(SECP256K1.pointFromBytes(publicKey), tweak));
}

describe('threshold ECDSA after reshare and refresh', () => {
  it('keeps the public key, new shares sign, and a pre-refresh share cannot join a signature', () => {
    const dkgSession = randomBytes(32);
    const original = runProtocols(byParticipant(OLD_SET, (me) => createDkg({ curve: 'secp256k1', sessionId: dkgSession, participants: OLD_SET, threshold: 3, me }))).outputs;
    const publicKey = original.get(0)!.publicKey;

    const reshareSession = randomBytes(32);
    const reshared = runProtocols(
      byParticipant([...new Set([...OLD_SET, ...NEW_SET])], (me) =>
        createReshare({
          curve: 'secp256k1',
          sessionId: reshareSession,
          me,
          publicKey,
          dealers: OLD_SET,
          oldThreshold: 3,
          newParticipants: NEW_SET,
          newThreshold: NEW_THRESHOLD,
          ...(original.has(me) ? { oldShare: original.get(me)! } : {}),
        }),
      ),
    ).outputs;
    const resharedShares = new Map(NEW_SET.map((id) => [id, reshared.get(id)!] as const));
    for (const share of resharedShares.values()) expect(share.publicKey).toEqual(publicKey);
    signsUnderKey(resharedShares, publicKey);

    const refreshSession = randomBytes(32);
    const refreshed = runProtocols(byParticipant(NEW_SET, (me) => createRefresh({ share: resharedShares.get(me)!, sessionId: refreshSession }))).outputs;
    for (const share of refreshed.values()) expect(share.publicKey).toEqual(publicKey);
    signsUnderKey(refreshed, publicKey);

    // Party 0 brings its share from before the refresh: the presign openings no longer match the key.
    const mixed = new Map(refreshed);
    mixed.set(0, resharedShares.get(0)!);
    const presign = settleProtocols(presignParties(SIGNERS, mixed, triplesAmong(SIGNERS, NEW_THRESHOLD), 0));
    expect(presign.outputs.size).toBe(0);
    expect(presign.aborts.size).toBe(SIGNERS.length);
    for (const abort of presign.aborts.values()) expect(abort).toBeInstanceOf(ProtocolAbort);
  }, 300_000);
});
