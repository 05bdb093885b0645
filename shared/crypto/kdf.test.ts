import { ed25519 } from '@noble/curves/ed25519.js';
import { secp256k1 } from '@noble/curves/secp256k1.js';
import { bytesToNumberBE, bytesToNumberLE } from '@noble/curves/utils.js';
import { bytesToHex, hexToBytes } from '@noble/hashes/utils.js';
import { computeAddress } from 'ethers';
import { formatNearPublicKey, ethereumAddress, secp256k1RawXY } from '../near/keys.js';
import { deriveEd25519PublicKey, deriveSecp256k1PublicKey, deriveTweak, secp256k1TweakScalar, TweakNotOnCurve } from './kdf.js';

// Vectors from near/mpc (test derive_tweak__has_not_changed and the derived-key tests), see
// shared/reference/near-mpc.md §1.
const TWEAK_VECTORS: ReadonlyArray<[string, string, string]> = [
  ['dwefqwg', 'frwewegwegweg', 'ad2d6fc1f445a1b43830415e7e6e3d03cd077673047848a085f130c24f53ee00'],
  ['dwefqwg', 'fwei2.3f230', '5f76eba48a20e3dd355e38f512c142ab8c8da4999f6b32ecd326d227b44ac05a'],
  ['fnwef0942534', 'frwewegwegweg', '7571fcaad0445387087ebcde589540e80926cfd08144aa3f45bc78b8683d06c3'],
  ['hello', 'my-path', 'da30fae7557313c718e04d4691596618ce0f4d2d31d5c23cbc216ad0a86d2818'],
];
const ROOT_SECRET = hexToBytes('1be2d390d2a3b5c70752bdd3fd3b7151f064cd7ca05322c010d2ef76727fce31');

describe('deriveTweak', () => {
  it.each(TWEAK_VECTORS)('(%s, %s) matches near/mpc', (predecessor, path, expected) => {
    expect(bytesToHex(deriveTweak(predecessor, path))).toBe(expected);
  });

  it('refuses a predecessor containing a comma (it would make the input ambiguous)', () => {
    expect(() => deriveTweak('a,b', 'c')).toThrow(RangeError);
  });
});

describe('derived public keys', () => {
  const tweak = deriveTweak('hello', 'my-path');

  it('secp256k1 root and derived key match near/mpc, in raw and NEAR form', () => {
    const root = secp256k1.Point.BASE.multiply(bytesToNumberBE(ROOT_SECRET));
    expect(bytesToHex(secp256k1RawXY(root))).toBe(
      '77c1ff8a2593f5cbe17dd6f05d4fe21f9f3393d90d47cc67f0cf33593e2436e434af6b6ea1bcdb3ca31808472fdda9bb66ab1db74c91da3c7f0c95509adeea3c',
    );
    const derived = deriveSecp256k1PublicKey(root, tweak);
    expect(bytesToHex(secp256k1RawXY(derived))).toBe(
      'c802275eb64d8c38f7e915a55b8e77a0916afd06dc45b15649dea8a56bc81db3bf7d21e0cc64531fa1bafa385c29017ca16d747b4ad52a3f1b8a00f616b275af',
    );
    expect(formatNearPublicKey({ curve: 'secp256k1', point: derived })).toBe(
      'secp256k1:4zvzanBjPrvRWAr3mjdPX9sSkS8GZTZ11L6V2pcAbmHRd3HHbTyboHdWauExDmHrEoWnbhDkUwnzVEa8hg52C55p',
    );
  });

  it('ed25519 root and derived key match near/mpc', () => {
    const root = ed25519.Point.BASE.multiply(ed25519.Point.Fn.create(bytesToNumberLE(ROOT_SECRET)));
    expect(bytesToHex(root.toBytes())).toBe('4fe4ab5c0e3791236e0af15836c45b1497f824df76b4b58e61121ad01ed76576');
    expect(bytesToHex(deriveEd25519PublicKey(root, tweak).toBytes())).toBe(
      '14a5f4002b886dffd3962c252a475ff17149ee4aa4f6049406c2817cb9a16aaa',
    );
  });

  it('the Ethereum address agrees with ethers', () => {
    const derived = deriveSecp256k1PublicKey(secp256k1.Point.BASE.multiply(bytesToNumberBE(ROOT_SECRET)), tweak);
    expect(ethereumAddress(derived)).toBe(computeAddress(`0x${bytesToHex(derived.toBytes(false))}`));
  });

  it('rejects a secp256k1 tweak at or above the group order', () => {
    const order = secp256k1.Point.Fn.ORDER;
    const tooBig = hexToBytes(order.toString(16).padStart(64, '0'));
    expect(() => secp256k1TweakScalar(tooBig)).toThrow(TweakNotOnCurve);
  });
});
