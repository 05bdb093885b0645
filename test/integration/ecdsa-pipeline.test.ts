/**
 * The whole threshold-ECDSA pipeline with the real protocols and no dealer anywhere: DKG
 * (shared/crypto/keygen) → OT-based Beaver triples (shared/crypto/ecdsa/triples) → presign → sign,
 * every party an independent sans-IO object, the result checked by ethers' ecrecover against the
 * Ethereum address of the NEAR-derived key.
 */
import { randomBytes } from '@noble/hashes/utils.js';
import { generateTriples } from '../../shared/crypto/ecdsa/triples/index.js';
import { SECP256K1 } from '../../shared/crypto/group.js';
import { deriveSecp256k1PublicKey, deriveTweak } from '../../shared/crypto/kdf.js';
import { createDkg } from '../../shared/crypto/keygen/index.js';
import type { ParticipantId } from '../../shared/crypto/protocol.js';
import { runProtocols } from '../../shared/crypto/runner.js';
import { byParticipant, expectValidUnder, presignAmong, signWith } from '../support/ecdsa-protocols.js';

const PARTICIPANTS = [0, 1, 2];
const THRESHOLD = 2;

describe('ECDSA pipeline: real DKG → real triples → presign → sign', () => {
  it('signs under the derived key, verified by noble and by ethers’ ecrecover, for the full set and a t-subset', () => {
    const keygenSession = randomBytes(32);
    const keyShares = runProtocols(
      byParticipant(PARTICIPANTS, (me) => createDkg({ curve: 'secp256k1', sessionId: keygenSession, participants: PARTICIPANTS, threshold: THRESHOLD, me })),
    ).outputs;
    const publicKey = SECP256K1.pointFromBytes(keyShares.get(0)!.publicKey);

    const tripleSession = randomBytes(32);
    const triples = runProtocols(
      byParticipant(PARTICIPANTS, (me) => generateTriples({ participants: PARTICIPANTS, me, threshold: THRESHOLD, batchSize: 4, sessionId: tripleSession })),
    ).outputs;

    // Triples 0 and 1 for a presignature of the t-subset {1, 2}; triples 2 and 3 for all three.
    const cases: readonly [readonly ParticipantId[], number, ParticipantId][] = [
      [[1, 2], 0, 2],
      [PARTICIPANTS, 2, 0],
    ];
    for (const [signers, firstTriple, coordinator] of cases) {
      const presignatures = presignAmong(signers, keyShares, triples, firstTriple);
      const payloadHash = randomBytes(32);
      payloadHash[0] = payloadHash[0]! & 0x7f;
      const tweak = deriveTweak('pipeline.test.near', `ethereum,${signers.join('-')}`);
      const signature = signWith(presignatures, { payloadHash, tweak, entropy: randomBytes(32) }, coordinator);

      expectValidUnder(signature, payloadHash, deriveSecp256k1PublicKey(publicKey, tweak));
    }
  }, 300_000);
});
