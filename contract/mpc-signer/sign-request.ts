/**
 * `sign` arguments in near/mpc 3.14's current and legacy forms, and the stored `SignatureRequest` that
 * `respond` and `get_pending_request` name (shared/near/signer-abi.ts):
 *
 *   current: {"request":{"path":"…","payload_v2":{"Ecdsa":"<hex 32>"}|{"Eddsa":"<hex ≤1232>"},"domain_id":0}}
 *   legacy:  {"request":{"path":"…","payload":[32 numbers],"key_version":0}}
 *   stored:  {"tweak":[32 numbers],"payload":{"Ecdsa":"<hex>"},"domain_id":0}
 *
 * As in near/mpc, the domain is required (`domain_id` or `key_version`, not both) and a legacy payload
 * is always ECDSA. Unlike near/mpc (serde ignores unknown fields), unknown fields are refused.
 */
import { secp256k1 } from '@noble/curves/secp256k1.js';
import { bytesToNumberBE } from '@noble/curves/utils.js';
import { bytesToHex } from '@noble/hashes/utils.js';
import { MAX_EDDSA_PAYLOAD_BYTES, type Payload, type SignatureRequest } from '../../shared/near/signer-abi.js';
import { byteArray, hexBytes, integer, type JsonObject, object, onlyKeys, string, U32_MAX } from '../common/args.js';
import { fail } from '../common/errors.js';

export const MAX_PATH_LENGTH = 4096;
const TWEAK_BYTES = 32;

export interface SignArgs {
  readonly path: string;
  readonly payload: Payload;
  readonly domainId: number;
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

function readPayload(request: JsonObject): Payload {
  if (request.payload !== undefined && request.payload_v2 !== undefined) fail('InvalidArguments', 'request: payload_v2 and payload are mutually exclusive');
  if (request.payload_v2 !== undefined) return readPayloadV2(request.payload_v2, 'request.payload_v2');
  if (request.payload !== undefined) return { Ecdsa: bytesToHex(byteArray(request.payload, 'request.payload', { exact: 32 })) };
  return fail('InvalidArguments', 'request: missing field `payload_v2`');
}

function readDomainId(request: JsonObject): number {
  if (request.domain_id !== undefined && request.key_version !== undefined) fail('InvalidArguments', 'request: domain_id and key_version are mutually exclusive');
  if (request.domain_id !== undefined) return integer(request.domain_id, 'request.domain_id');
  if (request.key_version !== undefined) return integer(request.key_version, 'request.key_version', U32_MAX);
  return fail('InvalidArguments', 'request: missing field `domain_id`');
}

export function readSignArgs(args: JsonObject): SignArgs {
  onlyKeys(args, ['request'], 'arguments');
  const request = object(args.request, 'request');
  onlyKeys(request, ['path', 'payload', 'payload_v2', 'domain_id', 'key_version'], 'request');
  return { path: string(request.path, 'request.path', MAX_PATH_LENGTH), payload: readPayload(request), domainId: readDomainId(request) };
}

/** ECDSA signs the payload as a scalar, so it must be below the group order n (near/mpc checks `< n`). */
export function isEcdsaScalar(payload: Payload): boolean {
  return !('Ecdsa' in payload) || bytesToNumberBE(payloadBytes(payload)) < secp256k1.Point.Fn.ORDER;
}

export function readSignatureRequest(value: unknown, where: string): SignatureRequest {
  const request = object(value, where);
  onlyKeys(request, ['tweak', 'payload', 'domain_id'], where);
  return {
    tweak: [...byteArray(request.tweak, `${where}.tweak`, { exact: TWEAK_BYTES })],
    payload: readPayloadV2(request.payload, `${where}.payload`),
    domain_id: integer(request.domain_id, `${where}.domain_id`),
  };
}

/** The same request always gives the same text, whatever the caller's key order or hex case. */
export function canonicalRequest(request: SignatureRequest): string {
  return JSON.stringify({ tweak: request.tweak, payload: request.payload, domain_id: request.domain_id });
}
