/**
 * What `DeployContract` bytes mean on the devnet: NEAR wasm (by its `\0asm` magic), otherwise the
 * UTF-8 name of a TypeScript contract in the chain's library.
 */
import { decodeUtf8, hashId, sha256Bytes, toBase58 } from './encoding.js';
import type { ContractCode, CryptoHash } from './types.js';

/** Every wasm binary starts with `\0asm`. */
const WASM_MAGIC = Uint8Array.from([0x00, 0x61, 0x73, 0x6d]);

export const isWasm = (code: Uint8Array): boolean => code.length >= WASM_MAGIC.length && WASM_MAGIC.every((byte, index) => code[index] === byte);

/** NEAR's code hash: base58 SHA-256 of the code. */
export const wasmCodeHash = (code: Uint8Array): CryptoHash => toBase58(sha256Bytes(code));

/** The contract deployed by these bytes; a library name that is not UTF-8 names nothing (calls then fail to resolve). */
export function contractCodeOf(code: Uint8Array): ContractCode {
  if (isWasm(code)) return { kind: 'wasm', codeHash: wasmCodeHash(code), sizeBytes: code.length };
  let name: string;
  try {
    name = decodeUtf8(code);
  } catch {
    name = `0x${Buffer.from(code).toString('hex')}`;
  }
  return { kind: 'library', name };
}

/** `code_hash` of `view_account`: NEAR's for wasm; for a library contract, the hash of its name. */
export const codeHashOf = (contract: ContractCode): CryptoHash => (contract.kind === 'wasm' ? contract.codeHash : hashId(contract.name));
