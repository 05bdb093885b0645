/**
 * Threshold ECDSA on secp256k1 (cait-sith presign + NEAR's rerandomised one-round sign). Triple
 * generation lives in ./triples/; the test-only dealer (./test-fixtures.ts) is deliberately not
 * exported here.
 */
export { EcdsaInputError } from './errors.js';
export {
  decodePresignRound1,
  decodeSignShare,
  encodePresignRound1,
  encodeSignShare,
  type PresignRound1Message,
  type SignShareMessage,
} from './messages.js';
export { EcdsaPresign, type PresignInput } from './presign.js';
export {
  decodePresignatureShare,
  encodePresignatureShare,
  PRESIGNATURE_RECORD_VERSION,
  type PresignatureShare,
  type PresignParticipantCommitments,
} from './presignature.js';
export { EcdsaSign, findRecoveryId, rerandomisationDelta, type EcdsaSignature, type SignOutput, type SignRequest } from './sign.js';
export { decodeTriple, encodeTriple, MAX_TRIPLE_PARTICIPANTS, TRIPLE_RECORD_TAG, TRIPLE_RECORD_VERSION } from './triple-codec.js';
export type { Triple, TriplePublic, TripleShare } from './triple.js';
