/**
 * near/mpc's JSON, written out by hand (from crates/contract/src/api and the reference notes), read
 * by this contract and written back byte for byte.
 */
import { readSignArgs, readSignatureRequest, canonicalRequest } from './sign-request.js';
import { readSignatureResponse, toLegacyResponse, type EcdsaResponse } from './signature-response.js';
import { object } from '../common/args.js';

const HASH = 'b94d27b9934d3e08a52e52d7da7dabfac484efe37a5380ee9088f7ace2efcde9';
const TWEAK = 'da30fae7557313c718e04d4691596618ce0f4d2d31d5c23cbc216ad0a86d2818';

const SIGN_V2_ECDSA = `{"request":{"path":"sepolia-1","payload_v2":{"Ecdsa":"${HASH}"},"domain_id":0}}`;
const SIGN_V2_EDDSA = `{"request":{"path":"solana-1","payload_v2":{"Eddsa":"0102ff"},"domain_id":1}}`;
const SIGN_LEGACY = `{"request":{"payload":[${Array.from({ length: 32 }, (_, i) => i).join(',')}],"path":"m/44'/60'/0'/0/0","key_version":0}}`;
const SIGNATURE_REQUEST = `{"tweak":"${TWEAK}","payload":{"Ecdsa":"${HASH}"},"domain_id":0}`;
const ECDSA_RESPONSE = `{"scheme":"Secp256k1","big_r":{"affine_point":"02${'ab'.repeat(32)}"},"s":{"scalar":"${'1c'.repeat(32)}"},"recovery_id":1}`;
const LEGACY_ECDSA_RESPONSE = `{"big_r":{"affine_point":"02${'ab'.repeat(32)}"},"s":{"scalar":"${'1c'.repeat(32)}"},"recovery_id":1}`;
const ED25519_RESPONSE = `{"scheme":"Ed25519","signature":[${Array.from({ length: 64 }, (_, i) => 200 - i).join(',')}]}`;

const parse = (text: string) => object(JSON.parse(text), 'fixture');

describe('sign arguments', () => {
  it('reads the current ECDSA form', () => {
    expect(readSignArgs(parse(SIGN_V2_ECDSA))).toEqual({ path: 'sepolia-1', payload: { Ecdsa: HASH }, domainId: 0, legacy: false });
  });

  it('reads the current EdDSA form', () => {
    expect(readSignArgs(parse(SIGN_V2_EDDSA))).toEqual({ path: 'solana-1', payload: { Eddsa: '0102ff' }, domainId: 1, legacy: false });
  });

  it('reads the legacy form as an ECDSA request on domain key_version', () => {
    const bytes = Array.from({ length: 32 }, (_, i) => i.toString(16).padStart(2, '0')).join('');
    expect(readSignArgs(parse(SIGN_LEGACY))).toEqual({ path: "m/44'/60'/0'/0/0", payload: { Ecdsa: bytes }, domainId: 0, legacy: true });
  });
});

describe('signature requests and responses round-trip', () => {
  it.each([
    ['the stored request', SIGNATURE_REQUEST, SIGNATURE_REQUEST, (value: unknown) => canonicalRequest(readSignatureRequest(value, 'request'))],
    ['an ECDSA response', ECDSA_RESPONSE, ECDSA_RESPONSE, (value: unknown) => JSON.stringify(readSignatureResponse(value, 'response'))],
    ['an Ed25519 response', ED25519_RESPONSE, ED25519_RESPONSE, (value: unknown) => JSON.stringify(readSignatureResponse(value, 'response'))],
    ['the legacy response from an ECDSA response', ECDSA_RESPONSE, LEGACY_ECDSA_RESPONSE, (value: unknown) => JSON.stringify(toLegacyResponse(readSignatureResponse(value, 'response') as EcdsaResponse))],
  ])('%s', (_name, fixture, expected, roundTrip) => {
    expect(roundTrip(JSON.parse(fixture))).toBe(expected);
  });

  it('normalises upper-case hex to near/mpc lower case', () => {
    expect(canonicalRequest(readSignatureRequest(JSON.parse(SIGNATURE_REQUEST.toUpperCase().replace('TWEAK', 'tweak').replace('PAYLOAD', 'payload').replace('ECDSA', 'Ecdsa').replace('DOMAIN_ID', 'domain_id')), 'request'))).toBe(SIGNATURE_REQUEST);
  });
});
