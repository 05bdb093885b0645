/**
 * Test support for driving an in-process chain block by block: settle a transaction, read its value
 * or failure. Used by the chain's own tests and the wasm host tests.
 */
import type { DevnetChain, TransactionResult } from './chain.js';
import type { IncludedResult, LocalSigner } from './local-signer.js';
import type { NearErrorJson } from './types.js';

/** Produces blocks until the transaction and all its receipts have executed. */
export function settle(chain: DevnetChain, hash: string, maxBlocks = 20): IncludedResult {
  for (let produced = 0; produced < maxBlocks; produced += 1) {
    chain.produceBlock();
    const result = chain.transactionResult(hash);
    if (result.phase === 'rejected') throw result.error;
    if (result.phase === 'included' && result.complete) return result;
  }
  throw new Error(`transaction ${hash} did not settle in ${maxBlocks} blocks`);
}

export async function run(chain: DevnetChain, signer: LocalSigner, receiverId: string, actions: Parameters<LocalSigner['send']>[1]): Promise<IncludedResult> {
  return settle(chain, (await signer.send(receiverId, actions)).hash);
}

export function failureOf(result: TransactionResult): NearErrorJson {
  if (result.phase !== 'included' || result.status.kind !== 'Failure') throw new Error(`expected a failure, got ${JSON.stringify(result.phase === 'included' ? result.status : result.phase)}`);
  return result.status.error;
}

/** The transaction's final value as bytes. */
export function bytesOf(result: IncludedResult): Uint8Array {
  if (result.status.kind !== 'SuccessValue') throw new Error(`expected a value, got ${JSON.stringify(result.status)}`);
  return result.status.value;
}

/** The transaction's final value parsed as JSON. */
export const valueOf = (result: IncludedResult): unknown => JSON.parse(new TextDecoder().decode(bytesOf(result)));

export const json = (value: unknown): Uint8Array => new TextEncoder().encode(JSON.stringify(value));
export const text = (bytes: Uint8Array): string => new TextDecoder().decode(bytes);
