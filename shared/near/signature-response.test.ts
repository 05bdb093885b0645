import { bytesToHex, hexToBytes } from '@noble/hashes/utils.js';
import { recoverAddress } from 'ethers';
import type { EcdsaSignature } from '../crypto/ecdsa/sign.js';
import { dealKey, presign, sign } from '../crypto/ecdsa/test-fixtures.js';
import { deriveSecp256k1PublicKey, deriveTweak } from '../crypto/kdf.js';
import { ethereumAddress } from './keys.js';
import { ecdsaSignatureResponse } from './signature-response.js';

const signature: EcdsaSignature = {
  bigR: hexToBytes('03' + 'ab'.repeat(32)),
  s: hexToBytes('0f'.repeat(32)),
  recoveryId: 1,
};

describe('near/mpc ECDSA signature response', () => {
  it('has near/mpc’s exact JSON, lower-case hex, scheme first', () => {
    expect(JSON.stringify(ecdsaSignatureResponse(signature))).toBe(
      `{"scheme":"Secp256k1","big_r":{"affine_point":"03${'ab'.repeat(32)}"},"s":{"scalar":"${'0f'.repeat(32)}"},"recovery_id":1}`,
    );
  });

  it('gives clients what they need: r = bytes 1..33 of big_r, s, v = recovery id (checked with ethers)', () => {
    const key = dealKey([0, 1, 2], 2);
    const tweak = deriveTweak('alice.near', 'ethereum-1');
    const payloadHash = new Uint8Array(32).fill(7);
    const request = { payloadHash, tweak, entropy: new Uint8Array(32).fill(1) };
    const response = ecdsaSignatureResponse(sign(presign(key, [0, 2]), request, 0));
    const address = recoverAddress(`0x${bytesToHex(payloadHash)}`, {
      r: `0x${response.big_r.affine_point.slice(2)}`,
      s: `0x${response.s.scalar}`,
      v: 27 + response.recovery_id,
    });
    expect(address).toBe(ethereumAddress(deriveSecp256k1PublicKey(key.publicKey, tweak)));
  });

  it.each([
    ['a 65-byte big_r', { bigR: new Uint8Array(65) }],
    ['a short s', { s: new Uint8Array(31) }],
    ['recovery id 4', { recoveryId: 4 }],
  ])('refuses %s', (_, change) => {
    expect(() => ecdsaSignatureResponse({ ...signature, ...change })).toThrow(RangeError);
  });
});
