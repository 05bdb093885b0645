/**
 * The whole threshold-ECDSA pipeline with the real protocols and no dealer anywhere: DKG
 * (shared/crypto/keygen) → OT-based Beaver triples (shared/crypto/ecdsa/triples) → presign → sign,
 * every party an independent sans-IO object, the result checked by ethers' ecrecover against the
 * Ethereum address of the NEAR-derived key.
 */
import { secp256k1 } from '@noble/curves/secp256k1.js';
import { bytesToHex, hexToBytes, randomBytes } from '@noble/hashes/utils.js';
import { recoverAddress } from 'ethers';
import {
  EcdsaPresign,
  EcdsaSign,
  type EcdsaSignature,
  type PresignatureShare,
  type SignOutput,
  type SignRequest,
  type Triple,
} from '../../shared/crypto/ecdsa/index.js';
import { generateTriples } from '../../shared/crypto/ecdsa/triples/index.js';
import { SECP256K1 } from '../../shared/crypto/group.js';
import { deriveSecp256k1PublicKey, deriveTweak } from '../../shared/crypto/kdf.js';
import type { KeyShare } from '../../shared/crypto/key-share.js';
import { createDkg } from '../../shared/crypto/keygen/index.js';
import type { ParticipantId, Protocol } from '../../shared/crypto/protocol.js';
import { runProtocols } from '../../shared/crypto/runner.js';
import { ethereumAddress } from '../../shared/near/keys.js';
import { ecdsaSignatureResponse } from '../../shared/near/signature-response.js';

const PARTICIPANTS = [0, 1, 2];
const THRESHOLD = 2;

function byParticipant<T>(ids: readonly ParticipantId[], make: (id: ParticipantId) => Protocol<T>): Map<ParticipantId, Protocol<T>> {
  return new Map(ids.map((id) => [id, make(id)]));
}

function presignAmong(
  signers: readonly ParticipantId[],
  keyShares: ReadonlyMap<ParticipantId, KeyShare>,
  triples: ReadonlyMap<ParticipantId, readonly Triple[]>,
  first: number,
): ReadonlyMap<ParticipantId, PresignatureShare> {
  return runProtocols(
    byParticipant(signers, (me) => new EcdsaPresign({
      participants: signers,
      keyShare: keyShares.get(me)!,
      nonceTriple: triples.get(me)![first]!,
      multiplicationTriple: triples.get(me)![first + 1]!,
    })),
  ).outputs;
}

function signWith(presignatures: ReadonlyMap<ParticipantId, PresignatureShare>, request: SignRequest, coordinator: ParticipantId): EcdsaSignature {
  const { outputs } = runProtocols(byParticipant<SignOutput>([...presignatures.keys()], (me) => new EcdsaSign(presignatures.get(me)!, request, coordinator)));
  const output = outputs.get(coordinator);
  if (output?.role !== 'coordinator') throw new Error('the coordinator returned no signature');
  return output.signature;
}

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

      const derived = deriveSecp256k1PublicKey(publicKey, tweak);
      const response = ecdsaSignatureResponse(signature);
      const r = response.big_r.affine_point.slice(2);
      expect(secp256k1.verify(hexToBytes(`${r}${response.s.scalar}`), payloadHash, derived.toBytes(true), { prehash: false })).toBe(true);
      const address = recoverAddress(`0x${bytesToHex(payloadHash)}`, { r: `0x${r}`, s: `0x${response.s.scalar}`, v: 27 + response.recovery_id });
      expect(address).toBe(ethereumAddress(derived));
    }
  }, 300_000);
});
