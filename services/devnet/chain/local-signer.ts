/**
 * Signs transactions for an account of an in-process chain with a real NEAR key (the same
 * @near-js code a wallet uses), so the devnet's own setup (accounts, deployments) goes through the
 * chain's normal transaction path: signature check, nonce, fees, receipts.
 */
import { KeyPair, type KeyPairString } from '@near-js/crypto';
import { KeyPairSigner } from '@near-js/signers';
import { createTransaction, encodeTransaction, type Action as NearJsAction } from '@near-js/transactions';
import type { DevnetChain, TransactionResult } from './chain.js';
import { fromBase58 } from './encoding.js';
import { TransactionWaitTimeoutError } from './errors.js';
import { readSignedTransaction } from './transaction.js';
import type { AccountId, ChainTransaction } from './types.js';

export type IncludedResult = Extract<TransactionResult, { phase: 'included' }>;

export class LocalSigner {
  private lastNonce = 0n;
  readonly keyPair: KeyPair;

  constructor(
    private readonly chain: DevnetChain,
    readonly accountId: AccountId,
    secretKey: KeyPairString | KeyPair,
  ) {
    this.keyPair = typeof secretKey === 'string' ? KeyPair.fromString(secretKey) : secretKey;
  }

  get publicKey(): string {
    return this.keyPair.getPublicKey().toString();
  }

  /** Borsh bytes of a signed transaction (by default with the next nonce), referencing the head block. */
  async sign(receiverId: AccountId, actions: NearJsAction[], nonce?: bigint): Promise<Uint8Array> {
    const next = nonce ?? this.nextNonce();
    this.lastNonce = next > this.lastNonce ? next : this.lastNonce;
    const transaction = createTransaction(this.accountId, this.keyPair.getPublicKey(), receiverId, next, actions, fromBase58(this.chain.head().header.hash));
    const [, signed] = await new KeyPairSigner(this.keyPair).signTransaction(transaction);
    return encodeTransaction(signed);
  }

  private nextNonce(): bigint {
    const onChain = this.chain.accessKey(this.accountId, this.publicKey).nonce;
    return (onChain > this.lastNonce ? onChain : this.lastNonce) + 1n;
  }

  /** Signs and submits; the chain checks it as it would a transaction from the RPC. */
  async send(receiverId: AccountId, actions: NearJsAction[]): Promise<ChainTransaction> {
    const transaction = readSignedTransaction(await this.sign(receiverId, actions));
    this.chain.submit(transaction);
    return transaction;
  }

  /** Sends and waits until every receipt of the transaction has executed. */
  async execute(receiverId: AccountId, actions: NearJsAction[], timeoutMs: number): Promise<IncludedResult> {
    const transaction = await this.send(receiverId, actions);
    return waitForExecution(this.chain, transaction.hash, timeoutMs);
  }
}

/** Waits until the transaction and all its receipts have executed (or it was rejected at inclusion). */
export async function waitForExecution(chain: DevnetChain, hash: string, timeoutMs: number): Promise<IncludedResult> {
  let result: TransactionResult = chain.transactionResult(hash);
  const done = (): boolean => {
    result = chain.transactionResult(hash);
    return result.phase === 'rejected' || (result.phase === 'included' && result.complete);
  };
  if (!(await chain.waitFor(done, timeoutMs))) throw new TransactionWaitTimeoutError(hash);
  if (result.phase === 'rejected') throw result.error;
  return result as IncludedResult;
}
