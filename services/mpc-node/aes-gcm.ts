/**
 * AES-256-GCM, the one authenticated cipher the node uses: for sealing secrets at rest (random IV
 * carried in front of the ciphertext) and for mesh frames (IV derived from the frame's sequence number).
 */
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';

export const GCM_IV_BYTES = 12;
export const GCM_TAG_BYTES = 16;

/** `ciphertext ‖ tag` of `plaintext` under `key` and a caller-chosen, never-repeated `iv`. */
export function aesGcmEncrypt(key: Uint8Array, iv: Uint8Array, plaintext: Uint8Array, aad: Uint8Array): Uint8Array {
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  cipher.setAAD(aad);
  return new Uint8Array(Buffer.concat([cipher.update(plaintext), cipher.final(), cipher.getAuthTag()]));
}

/** Inverse of {@link aesGcmEncrypt}; throws on any tampering or a wrong key, IV or AAD. */
export function aesGcmDecrypt(key: Uint8Array, iv: Uint8Array, ciphertextAndTag: Uint8Array, aad: Uint8Array): Uint8Array {
  if (ciphertextAndTag.length < GCM_TAG_BYTES) throw new Error('ciphertext shorter than the authentication tag');
  const decipher = createDecipheriv('aes-256-gcm', key, iv);
  decipher.setAAD(aad);
  decipher.setAuthTag(ciphertextAndTag.subarray(ciphertextAndTag.length - GCM_TAG_BYTES));
  return new Uint8Array(Buffer.concat([decipher.update(ciphertextAndTag.subarray(0, ciphertextAndTag.length - GCM_TAG_BYTES)), decipher.final()]));
}

/** `iv ‖ ciphertext ‖ tag` with a random IV, for data at rest. */
export function aesGcmSeal(key: Uint8Array, plaintext: Uint8Array, aad: Uint8Array): Uint8Array {
  const iv = new Uint8Array(randomBytes(GCM_IV_BYTES));
  const body = aesGcmEncrypt(key, iv, plaintext, aad);
  const sealed = new Uint8Array(GCM_IV_BYTES + body.length);
  sealed.set(iv);
  sealed.set(body, GCM_IV_BYTES);
  return sealed;
}

/** Inverse of {@link aesGcmSeal}. */
export function aesGcmOpen(key: Uint8Array, sealed: Uint8Array, aad: Uint8Array): Uint8Array {
  if (sealed.length < GCM_IV_BYTES + GCM_TAG_BYTES) throw new Error('sealed bytes too short');
  return aesGcmDecrypt(key, sealed.subarray(0, GCM_IV_BYTES), sealed.subarray(GCM_IV_BYTES), aad);
}
