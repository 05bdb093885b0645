/**
 * `sign` arguments in near/mpc's current and legacy forms, and the stored `SignatureRequest` that
 * `respond` and `get_pending_request` name:
 *
 *   current: {"request":{"path":"…","payload_v2":{"Ecdsa":"<hex 32>"}|{"Eddsa":"<hex ≤1232>"},"domain_id":0}}
 *   legacy:  {"request":{"path":"…","payload":[32 bytes],"key_version":0}}
 *   stored:  {"tweak":"<hex 32>","payload":{"Ecdsa":"<hex>"},"domain_id":0}
 */
import { secp256k1 } from '@noble/curves/secp256k1.js';
import { bytesToNumberBE } from '@noble/curves/utils.js';
import { bytesToHex } from '@noble/hashes/utils.js';
import { byteArray, hexBytes, integer, type JsonObject, object, onlyKeys, string } from '../common/args.js';
import { fail } from '../common/errors.js';
import type { SignatureScheme } from './types.js';

/** near/mpc's EdDSA payload limit (a Solana transaction). */
export const MAX_EDDSA_PAYLOAD_BYTES = 1232;
export const MAX_PATH_LENGTH = 4096;
export const LEGACY_ECDSA_DOMAIN_ID = 0;

/** Lower-case hex, tagged with the scheme that signs it (serde's externally tagged `Payload`). */
export type Payload = { readonly Ecdsa: string } | { readonly Eddsa: string };

export interface SignatureRequest {
  readonly tweak: string;
  readonly payload: Payload;
  readonly domain_id: number;
}

export interface SignArgs {
  readonly path: string;
  readonly payload: Payload;
  readonly domainId: number;
  /** The caller used the legacy `payload` byte array: it gets the legacy response (no `scheme`). */
  readonly legacy: boolean;
}

export function payloadScheme(payload: Payload): SignatureScheme {
  return 'Ecdsa' in payload ? 'Secp256k1' : 'Ed25519';
}

export function payloadBytes(payload: Payload): Uint8Array {
  return hexBytes('Ecdsa' in payload ? payload.Ecdsa : payload.Eddsa, 'payload', {});
}

function readPayloadV2(value: unknown, where: string): Payload {
  const tagged = object(value, where);
  const tags = Object.keys(tagged);
  if (tags.length !== 1 || (tags[0] !== 'Ecdsa' && tags[0] !== 'Eddsa')) fail('InvalidArguments', `${where}: expected {"Ecdsa": hex} or {"Eddsa": hex}`);
  if (tags[0] === 'Ecdsa') return { Ecdsa: bytesToHex(hexBytes(tagged.Ecdsa, `${where}.Ecdsa`, { exact: 32 })) };
  return { Eddsa: bytesToHex(hexBytes(tagged.Eddsa, `${where}.Eddsa`, { max: MAX_EDDSA_PAYLOAD_BYTES })) };
}

function readPayload(request: JsonObject): { payload: Payload; legacy: boolean } {
  if (request.payload !== undefined && request.payload_v2 !== undefined) fail('InvalidArguments', 'request: give either payload or payload_v2, not both');
  if (request.payload_v2 !== undefined) return { payload: readPayloadV2(request.payload_v2, 'request.payload_v2'), legacy: false };
  if (request.payload !== undefined) return { payload: { Ecdsa: bytesToHex(byteArray(request.payload, 'request.payload', { exact: 32 })) }, legacy: true };
  return fail('InvalidArguments', 'request: payload_v2 (or the legacy payload) is missing');
}

function readDomainId(request: JsonObject): number {
  if (request.domain_id !== undefined && request.key_version !== undefined) fail('InvalidArguments', 'request: give either domain_id or key_version, not both');
  if (request.domain_id !== undefined) return integer(request.domain_id, 'request.domain_id');
  // Legacy callers name the domain by `key_version` (u32).
  if (request.key_version !== undefined) return integer(request.key_version, 'request.key_version', 0xffff_ffff);
  // near/mpc: a request naming neither goes to the legacy ECDSA domain (`DomainId::legacy_ecdsa_id()`).
  return LEGACY_ECDSA_DOMAIN_ID;
}

export function readSignArgs(args: JsonObject): SignArgs {
  onlyKeys(args, ['request'], 'arguments');
  const request = object(args.request, 'request');
  onlyKeys(request, ['path', 'payload', 'payload_v2', 'domain_id', 'key_version'], 'request');
  const path = string(request.path, 'request.path', MAX_PATH_LENGTH);
  const { payload, legacy } = readPayload(request);
  return { path, payload, domainId: readDomainId(request), legacy };
}

/** ECDSA signs the payload as a scalar, so it must be below the group order n (near/mpc checks `< n`). */
export function requireEcdsaScalar(payload: Payload): void {
  if ('Ecdsa' in payload && bytesToNumberBE(payloadBytes(payload)) >= secp256k1.Point.Fn.ORDER) {
    fail('InvalidRequest', 'the ECDSA payload is not below the secp256k1 group order');
  }
}

export function readSignatureRequest(value: unknown, where: string): SignatureRequest {
  const request = object(value, where);
  onlyKeys(request, ['tweak', 'payload', 'domain_id'], where);
  return {
    tweak: bytesToHex(hexBytes(request.tweak, `${where}.tweak`, { exact: 32 })),
    payload: readPayloadV2(request.payload, `${where}.payload`),
    domain_id: integer(request.domain_id, `${where}.domain_id`),
  };
}

/** The same request always gives the same text, whatever the caller's key order or hex case. */
export function canonicalRequest(request: SignatureRequest): string {
  return JSON.stringify({ tweak: request.tweak, payload: request.payload, domain_id: request.domain_id });
}
