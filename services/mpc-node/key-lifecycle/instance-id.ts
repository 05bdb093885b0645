/**
 * The id of one key event attempt's protocol run: the mesh instance id and the protocol's sessionId.
 * Every participant derives the same bytes from the contract's state alone, and since the contract never
 * reuses an attempt id within an (epoch, domain), no two runs share an id.
 */
import { sha256 } from '@noble/hashes/sha2.js';
import { utf8ToBytes } from '@noble/hashes/utils.js';
import type { KeyEventId } from '../../../shared/near/signer-abi.js';
import type { KeyEventKind } from './errors.js';

const DOMAIN_SEPARATOR = utf8ToBytes('chainsig key event instance v1');

/** SHA-256(separator ‖ len ‖ contract id ‖ len ‖ kind ‖ u32 epoch ‖ u32 domain ‖ u32 attempt); length prefixes keep the encoding unambiguous. */
export function keyEventInstanceId(contractId: string, kind: KeyEventKind, id: KeyEventId): Uint8Array {
  const contract = utf8ToBytes(contractId);
  const kindBytes = utf8ToBytes(kind);
  const bytes = new Uint8Array(DOMAIN_SEPARATOR.length + 4 + contract.length + 4 + kindBytes.length + 12);
  const view = new DataView(bytes.buffer);
  let offset = 0;
  bytes.set(DOMAIN_SEPARATOR, offset);
  offset += DOMAIN_SEPARATOR.length;
  for (const part of [contract, kindBytes]) {
    view.setUint32(offset, part.length, false);
    bytes.set(part, offset + 4);
    offset += 4 + part.length;
  }
  for (const value of [id.epoch_id, id.domain_id, id.attempt_id]) {
    view.setUint32(offset, value, false);
    offset += 4;
  }
  return sha256(bytes);
}
