import { ed25519 } from '@noble/curves/ed25519.js';
import { generateKeyPairSync, sign } from 'node:crypto';
import { verifyEd25519Native } from './ed25519-native.js';

// RFC 8032 §7.1, TEST 2: one-byte message.
const RFC8032_PUBLIC_KEY = Buffer.from('3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c', 'hex');
const RFC8032_MESSAGE = Buffer.from('72', 'hex');
const RFC8032_SIGNATURE = Buffer.from(
  '92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da085ac1e43e15996e458f3613d0f11d8c387b2eaeb4302aeeb00d291612bb0c00',
  'hex',
);

describe('verifyEd25519Native', () => {
  it('accepts the RFC 8032 test vector and rejects it for another message', () => {
    expect(verifyEd25519Native(RFC8032_SIGNATURE, RFC8032_MESSAGE, RFC8032_PUBLIC_KEY)).toBe(true);
    expect(verifyEd25519Native(RFC8032_SIGNATURE, Buffer.from('73', 'hex'), RFC8032_PUBLIC_KEY)).toBe(false);
  });

  it('agrees with noble on signatures made by Node and by noble', () => {
    const { publicKey, privateKey } = generateKeyPairSync('ed25519');
    const raw = new Uint8Array(publicKey.export({ format: 'der', type: 'spki' }).subarray(12));
    const message = new TextEncoder().encode('chain signatures');
    const nodeSignature = new Uint8Array(sign(null, message, privateKey));
    expect(verifyEd25519Native(nodeSignature, message, raw)).toBe(true);
    expect(ed25519.verify(nodeSignature, message, raw)).toBe(true);
    const secret = ed25519.utils.randomSecretKey();
    const nobleSignature = ed25519.sign(message, secret);
    expect(verifyEd25519Native(nobleSignature, message, ed25519.getPublicKey(secret))).toBe(true);
  });

  it('rejects a flipped bit, a non-canonical S and malformed lengths without throwing', () => {
    const secret = ed25519.utils.randomSecretKey();
    const publicKey = ed25519.getPublicKey(secret);
    const message = new Uint8Array([1, 2, 3]);
    const signature = ed25519.sign(message, secret);
    const flipped = signature.slice();
    flipped[10]! ^= 1;
    expect(verifyEd25519Native(flipped, message, publicKey)).toBe(false);
    // S + ℓ encodes the same scalar non-canonically; RFC 8032 requires S < ℓ.
    const order = ed25519.Point.Fn.ORDER;
    const s = Buffer.from(signature.slice(32)).reverse();
    const sPlusOrder = BigInt('0x' + s.toString('hex')) + order;
    const nonCanonical = signature.slice();
    nonCanonical.set(Buffer.from(sPlusOrder.toString(16).padStart(64, '0'), 'hex').reverse(), 32);
    expect(ed25519.verify(signature, message, publicKey)).toBe(true);
    expect(verifyEd25519Native(nonCanonical, message, publicKey)).toBe(false);
    expect(verifyEd25519Native(signature.subarray(0, 63), message, publicKey)).toBe(false);
    expect(verifyEd25519Native(signature, message, publicKey.subarray(0, 31))).toBe(false);
  });
});
