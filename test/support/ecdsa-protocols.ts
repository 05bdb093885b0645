/** Runs the real ECDSA protocols among in-memory parties, for cross-component tests. */
import { bytesToHex, hexToBytes } from '@noble/hashes/utils.js';
import { secp256k1 } from '@noble/curves/secp256k1.js';
import { recoverAddress } from 'ethers';
import { EcdsaPresign, EcdsaSign, type EcdsaSignature, type PresignatureShare, type SignOutput, type SignRequest, type Triple } from '../../shared/crypto/ecdsa/index.js';
import type { Secp256k1Point } from '../../shared/crypto/kdf.js';
import type { KeyShare } from '../../shared/crypto/key-share.js';
import type { ParticipantId, Protocol } from '../../shared/crypto/protocol.js';
import { runProtocols } from '../../shared/crypto/runner.js';
import { ethereumAddress } from '../../shared/near/keys.js';
import { ecdsaSignatureResponse } from '../../shared/near/signature-response.js';

export function byParticipant<T>(ids: readonly ParticipantId[], make: (id: ParticipantId) => Protocol<T>): Map<ParticipantId, Protocol<T>> {
  return new Map(ids.map((id) => [id, make(id)]));
}

export function presignParties(
  signers: readonly ParticipantId[],
  keyShares: ReadonlyMap<ParticipantId, KeyShare>,
  triples: ReadonlyMap<ParticipantId, readonly Triple[]>,
  first: number,
): Map<ParticipantId, Protocol<PresignatureShare>> {
  return byParticipant(signers, (me) => new EcdsaPresign({
    participants: signers,
    keyShare: keyShares.get(me)!,
    nonceTriple: triples.get(me)![first]!,
    multiplicationTriple: triples.get(me)![first + 1]!,
  }));
}

export function presignAmong(
  signers: readonly ParticipantId[],
  keyShares: ReadonlyMap<ParticipantId, KeyShare>,
  triples: ReadonlyMap<ParticipantId, readonly Triple[]>,
  first: number,
): ReadonlyMap<ParticipantId, PresignatureShare> {
  return runProtocols(presignParties(signers, keyShares, triples, first)).outputs;
}

export function signWith(presignatures: ReadonlyMap<ParticipantId, PresignatureShare>, request: SignRequest, coordinator: ParticipantId): EcdsaSignature {
  const { outputs } = runProtocols(byParticipant<SignOutput>([...presignatures.keys()], (me) => new EcdsaSign(presignatures.get(me)!, request, coordinator)));
  const output = outputs.get(coordinator);
  if (output?.role !== 'coordinator') throw new Error('the coordinator returned no signature');
  return output.signature;
}

/** Checks a signature the way clients do: noble verification, and ethers' ecrecover against the derived key's address. */
export function expectValidUnder(signature: EcdsaSignature, payloadHash: Uint8Array, derived: Secp256k1Point): void {
  const response = ecdsaSignatureResponse(signature);
  const r = response.big_r.affine_point.slice(2);
  expect(secp256k1.verify(hexToBytes(`${r}${response.s.scalar}`), payloadHash, derived.toBytes(true), { prehash: false })).toBe(true);
  const address = recoverAddress(`0x${bytesToHex(payloadHash)}`, { r: `0x${r}`, s: `0x${response.s.scalar}`, v: 27 + response.recovery_id });
  expect(address).toBe(ethereumAddress(derived));
}
