/**
 * Threshold EdDSA: FROST(Ed25519, SHA-512) signing under NEAR-derived keys, with optional nonce
 * pre-commitment. Keys come from ../keygen (DKG, reshare, refresh). The test-only fixtures
 * (./test-fixtures.ts) are deliberately not exported here. See README.md beside this file.
 */
export { deriveFrostKey, EddsaInputError, frostIdentifier, type DerivedFrostKey } from './frost-key.js';
export { decodeEddsaMessage, encodeEddsaMessage, type CommitmentList, type EddsaMessage, type NonceCommitmentPair } from './messages.js';
export {
  decodeEddsaPresignature,
  EddsaPresignProtocol,
  encodeEddsaPresignature,
  type EddsaPresignature,
  type EddsaPresignOptions,
} from './presign.js';
export type { SigningNonces } from './session.js';
export {
  EddsaPayloadTooLong,
  EddsaSignProtocol,
  InvalidSignatureShares,
  MAX_EDDSA_PAYLOAD_BYTES,
  SignedPayloadMismatch,
  type EddsaSignOptions,
  type EddsaSignOutput,
} from './sign.js';
