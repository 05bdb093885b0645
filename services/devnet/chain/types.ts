/**
 * The chain's own records: accounts, actions, receipts, outcomes and blocks. Amounts and gas are
 * bigint, bytes are Uint8Array; `views.ts` turns them into NEAR's JSON (the RPC and the Lake files
 * share that form).
 */
import type { ContractDefinition } from '../../../contract/host.js';

export type AccountId = string;
/** Base58 CryptoHash: transaction hashes, receipt ids, data ids, block hashes. */
export type CryptoHash = string;
/** A public key in NEAR text form (`ed25519:…` / `secp256k1:…`). */
export type PublicKeyText = string;

export type AccessKeyPermission =
  | { readonly kind: 'FullAccess' }
  | {
      readonly kind: 'FunctionCall';
      /** Remaining allowance in yoctoNEAR; null is unlimited. */
      readonly allowance: bigint | null;
      readonly receiverId: AccountId;
      /** Empty: any method of `receiverId`. */
      readonly methodNames: readonly string[];
    };

export interface AccessKey {
  readonly nonce: bigint;
  readonly permission: AccessKeyPermission;
}

/**
 * What an account runs: a TypeScript contract of the chain's library (by name), or NEAR wasm (by the
 * SHA-256 of its code, the chain keeping the bytes once per hash).
 */
export type ContractCode =
  | { readonly kind: 'library'; readonly name: string }
  | { readonly kind: 'wasm'; readonly codeHash: CryptoHash; readonly sizeBytes: number };

export interface Account {
  readonly amount: bigint;
  readonly locked: bigint;
  readonly contract: ContractCode | null;
  readonly keys: ReadonlyMap<PublicKeyText, AccessKey>;
  /** Contract storage, keyed by the hex of the raw key. */
  readonly storage: ReadonlyMap<string, Uint8Array>;
}

export type Action =
  | { readonly type: 'CreateAccount' }
  /** `code` is NEAR wasm (it starts with `\0asm`) or the UTF-8 name of a TypeScript contract in the chain's library. */
  | { readonly type: 'DeployContract'; readonly code: Uint8Array }
  | { readonly type: 'FunctionCall'; readonly methodName: string; readonly args: Uint8Array; readonly gas: bigint; readonly deposit: bigint }
  | { readonly type: 'Transfer'; readonly deposit: bigint }
  | { readonly type: 'AddKey'; readonly publicKey: PublicKeyText; readonly accessKey: AccessKey }
  | { readonly type: 'DeleteKey'; readonly publicKey: PublicKeyText }
  | { readonly type: 'DeleteAccount'; readonly beneficiaryId: AccountId };

export interface DataReceiver {
  readonly dataId: CryptoHash;
  readonly receiverId: AccountId;
}

interface ReceiptBase {
  readonly receiptId: CryptoHash;
  readonly predecessorId: AccountId;
  readonly receiverId: AccountId;
  /** The transaction whose execution produced this receipt (for `tx` status); not part of NEAR's receipt. */
  readonly originTxHash: CryptoHash;
}

export interface ActionReceipt extends ReceiptBase {
  readonly kind: 'action';
  readonly signerId: AccountId;
  readonly signerPublicKey: PublicKeyText;
  readonly gasPrice: bigint;
  readonly outputDataReceivers: readonly DataReceiver[];
  readonly inputDataIds: readonly CryptoHash[];
  readonly actions: readonly Action[];
  readonly isPromiseYield: boolean;
  /** Refunds come from `system` and carry no gas accounting of their own. */
  readonly isRefund: boolean;
}

export interface DataReceipt extends ReceiptBase {
  readonly kind: 'data';
  readonly dataId: CryptoHash;
  /** null: the promise failed (or the yield timed out). */
  readonly data: Uint8Array | null;
  readonly isPromiseResume: boolean;
}

export type Receipt = ActionReceipt | DataReceipt;

/** NEAR's `TxExecutionError` / `InvalidTxError` JSON, exactly as nearcore serialises it. */
export type NearErrorJson = string | { readonly [variant: string]: NearErrorJson | number | boolean | null | readonly NearErrorJson[] };

export type ExecutionStatus =
  | { readonly kind: 'SuccessValue'; readonly value: Uint8Array }
  | { readonly kind: 'SuccessReceiptId'; readonly receiptId: CryptoHash }
  | { readonly kind: 'Failure'; readonly error: NearErrorJson };

export interface ExecutionOutcome {
  /** Receipt id, or the transaction hash for the transaction's own outcome. */
  readonly id: CryptoHash;
  readonly blockHash: CryptoHash;
  readonly logs: readonly string[];
  readonly receiptIds: readonly CryptoHash[];
  readonly gasBurnt: bigint;
  readonly tokensBurnt: bigint;
  readonly executorId: AccountId;
  readonly status: ExecutionStatus;
}

/** A verified signed transaction. */
export interface ChainTransaction {
  readonly hash: CryptoHash;
  readonly signerId: AccountId;
  readonly publicKey: PublicKeyText;
  readonly nonce: bigint;
  readonly receiverId: AccountId;
  readonly blockHash: CryptoHash;
  readonly actions: readonly Action[];
  /** NEAR text form (`ed25519:…` / `secp256k1:…`, base58). */
  readonly signature: string;
}

export interface BlockHeader {
  readonly height: number;
  readonly prevHeight: number | null;
  readonly hash: CryptoHash;
  readonly prevHash: CryptoHash;
  readonly timestampNs: bigint;
  /** 32 bytes of per-block randomness, base58 (what contracts get as `randomSeed`). */
  readonly randomValue: CryptoHash;
  readonly gasPrice: bigint;
  readonly totalSupply: bigint;
  readonly chunkHash: CryptoHash;
  readonly outcomeRoot: CryptoHash;
  readonly txRoot: CryptoHash;
  readonly receiptsRoot: CryptoHash;
  readonly stateRoot: CryptoHash;
  readonly gasUsed: bigint;
  readonly balanceBurnt: bigint;
}

/** One produced block: what it included and executed (one shard, one chunk). */
export interface ChainBlock {
  readonly header: BlockHeader;
  readonly transactions: readonly { readonly transaction: ChainTransaction; readonly outcome: ExecutionOutcome }[];
  /** Receipts delivered to the shard in this block (action and data). */
  readonly receipts: readonly Receipt[];
  /** Action receipts executed in this block, with their outcomes. */
  readonly receiptOutcomes: readonly { readonly receipt: ActionReceipt; readonly outcome: ExecutionOutcome }[];
}

/** A contract the chain can deploy, by the name `DeployContract` carries. */
export type ContractLibrary = ReadonlyMap<string, ContractDefinition>;
