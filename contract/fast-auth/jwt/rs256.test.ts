import { generateKeyPairSync, sign } from 'node:crypto';
import fc from 'fast-check';
import { jwtPublicKeyFromJwk } from '../../../shared/near/fast-auth-abi.js';
import { rsaPublicKey, verifyRs256 } from './rs256.js';

// node:crypto is the independent reference here; the contract code itself never imports it.
const keys = [2048, 3072, 4096].map((modulusLength) => {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength });
  const jwk = publicKey.export({ format: 'jwk' });
  return { modulusLength, privateKey, key: rsaPublicKey(jwtPublicKeyFromJwk({ n: jwk.n!, e: jwk.e! })) };
});

describe('verifyRs256', () => {
  it.each(keys)('agrees with node:crypto for $modulusLength-bit keys', ({ privateKey, key }) => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), fc.nat(), (message, flip) => {
        const signature = sign('sha256', message, privateKey);
        expect(verifyRs256(key, message, signature)).toBe(true);
        const tampered = Uint8Array.from(signature);
        tampered[flip % tampered.length]! ^= 1 << flip % 8;
        expect(verifyRs256(key, message, tampered)).toBe(false);
        expect(verifyRs256(key, Uint8Array.from([...message, 0]), signature)).toBe(false);
      }),
      { numRuns: 20 },
    );
  });

  it('refuses a signature of the wrong length, zero, and the modulus itself', () => {
    const { privateKey, key } = keys[0]!;
    const signature = sign('sha256', Buffer.from('m'), privateKey);
    expect(verifyRs256(key, Buffer.from('m'), Uint8Array.from([0, ...signature]))).toBe(false);
    expect(verifyRs256(key, Buffer.from('m'), signature.subarray(1))).toBe(false);
    expect(verifyRs256(key, Buffer.from('m'), new Uint8Array(256))).toBe(false);
    const modulus = Buffer.from(key.modulus.toString(16).padStart(512, '0'), 'hex');
    expect(verifyRs256(key, Buffer.from('m'), modulus)).toBe(false);
  });

  it('refuses a signature made with SHA-1 or with another key', () => {
    const [first, second] = keys;
    const message = Buffer.from('header.payload');
    expect(verifyRs256(first!.key, message, sign('sha1', message, first!.privateKey))).toBe(false);
    expect(verifyRs256(first!.key, message, sign('sha256', message, second!.privateKey))).toBe(false);
  });
});
