/**
 * near/mpc's JSON, written out by hand (from near/mpc 3.14's near-mpc-crypto-types and contract
 * interface), read by this contract and written back byte for byte.
 */
import { readSignArgs, readSignatureRequest, canonicalRequest } from './sign-request.js';
import { readSignatureResponse } from './signature-response.js';
import { object } from '../common/args.js';

const HASH = 'b94d27b9934d3e08a52e52d7da7dabfac484efe37a5380ee9088f7ace2efcde9';
const TWEAK = [218, 48, 250, 231, 85, 115, 19, 199, 24, 224, 77, 70, 145, 89, 102, 24, 206, 15, 77, 45, 49, 213, 194, 60, 188, 33, 106, 208, 168, 109, 40, 24];

const SIGN_V2_ECDSA = `{"request":{"path":"sepolia-1","payload_v2":{"Ecdsa":"${HASH}"},"domain_id":0}}`;
const SIGN_V2_EDDSA = `{"request":{"path":"solana-1","payload_v2":{"Eddsa":"0102ff"},"domain_id":1}}`;
const SIGN_LEGACY = `{"request":{"payload":[${Array.from({ length: 32 }, (_, i) => i).join(',')}],"path":"m/44'/60'/0'/0/0","key_version":0}}`;
const SIGNATURE_REQUEST = `{"tweak":[${TWEAK.join(',')}],"payload":{"Ecdsa":"${HASH}"},"domain_id":0}`;
const ECDSA_RESPONSE = `{"scheme":"Secp256k1","big_r":{"affine_point":"02${'ab'.repeat(32)}"},"s":{"scalar":"${'1c'.repeat(32)}"},"recovery_id":1}`;
const ED25519_RESPONSE = `{"scheme":"Ed25519","signature":[${Array.from({ length: 64 }, (_, i) => 200 - i).join(',')}]}`;

const parse = (text: string) => object(JSON.parse(text), 'fixture');

describe('sign arguments', () => {
  it('reads the current ECDSA form', () => {
    expect(readSignArgs(parse(SIGN_V2_ECDSA))).toEqual({ path: 'sepolia-1', payload: { Ecdsa: HASH }, domainId: 0 });
  });

  it('reads the current EdDSA form', () => {
    expect(readSignArgs(parse(SIGN_V2_EDDSA))).toEqual({ path: 'solana-1', payload: { Eddsa: '0102ff' }, domainId: 1 });
  });

  it('reads the legacy form as an ECDSA request on domain key_version', () => {
    const bytes = Array.from({ length: 32 }, (_, i) => i.toString(16).padStart(2, '0')).join('');
    expect(readSignArgs(parse(SIGN_LEGACY))).toEqual({ path: "m/44'/60'/0'/0/0", payload: { Ecdsa: bytes }, domainId: 0 });
  });
});

describe('signature requests and responses round-trip', () => {
  it.each([
    ['the stored request', SIGNATURE_REQUEST, (value: unknown) => canonicalRequest(readSignatureRequest(value, 'request'))],
    ['an ECDSA response', ECDSA_RESPONSE, (value: unknown) => JSON.stringify(readSignatureResponse(value, 'response'))],
    ['an Ed25519 response', ED25519_RESPONSE, (value: unknown) => JSON.stringify(readSignatureResponse(value, 'response'))],
  ])('%s', (_name, fixture, roundTrip) => {
    expect(roundTrip(JSON.parse(fixture))).toBe(fixture);
  });

  it('normalises upper-case payload hex to near/mpc lower case', () => {
    const upperCase = { ...JSON.parse(SIGNATURE_REQUEST), payload: { Ecdsa: HASH.toUpperCase() } };
    expect(canonicalRequest(readSignatureRequest(upperCase, 'request'))).toBe(SIGNATURE_REQUEST);
  });
});
