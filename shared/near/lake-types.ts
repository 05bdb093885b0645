/**
 * The NEAR Lake JSON files as they sit in S3 (snake_case, exactly as nearcore's indexer serialises
 * `StreamerMessage`): `<height12>/block.json` holds a {@link LakeBlock}, `<height12>/shard_<i>.json` an
 * {@link LakeShard}. The devnet Lake writer produces these shapes and the lake-indexer Lambda parses
 * them; near-lake-framework 1.0.6 reads them and camel-cases the keys. Only the fields this project
 * writes or reads are typed; real files carry more, and readers must tolerate unknown fields.
 */

/** Base58 CryptoHash (block hash, receipt id, data id, chunk hash). */
export type CryptoHash = string;
/** u128 amounts (yoctoNEAR) are decimal strings in NEAR JSON. */
export type U128String = string;

export interface LakeBlockHeader {
  readonly height: number;
  readonly prev_height: number | null;
  readonly epoch_id: CryptoHash;
  readonly next_epoch_id: CryptoHash;
  readonly hash: CryptoHash;
  readonly prev_hash: CryptoHash;
  readonly prev_state_root: CryptoHash;
  readonly chunk_receipts_root: CryptoHash;
  readonly chunk_headers_root: CryptoHash;
  readonly chunk_tx_root: CryptoHash;
  readonly outcome_root: CryptoHash;
  readonly chunks_included: number;
  readonly challenges_root: CryptoHash;
  /** Milliseconds-precision number and the exact nanoseconds as a string, as nearcore writes both. */
  readonly timestamp: number;
  readonly timestamp_nanosec: string;
  /** Base58 of 32 bytes of per-block randomness; near/mpc uses it as the per-request entropy. */
  readonly random_value: CryptoHash;
  readonly validator_proposals: readonly unknown[];
  readonly chunk_mask: readonly boolean[];
  readonly gas_price: U128String;
  readonly block_ordinal: number | null;
  readonly total_supply: U128String;
  readonly challenges_result: readonly unknown[];
  readonly last_final_block: CryptoHash;
  readonly last_ds_final_block: CryptoHash;
  readonly next_bp_hash: CryptoHash;
  readonly block_merkle_root: CryptoHash;
  readonly epoch_sync_data_hash: CryptoHash | null;
  readonly approvals: readonly (string | null)[];
  readonly signature: string;
  readonly latest_protocol_version: number;
}

export interface LakeChunkHeader {
  readonly chunk_hash: CryptoHash;
  readonly prev_block_hash: CryptoHash;
  readonly outcome_root: CryptoHash;
  readonly prev_state_root: CryptoHash;
  readonly encoded_merkle_root: CryptoHash;
  readonly encoded_length: number;
  readonly height_created: number;
  readonly height_included: number;
  readonly shard_id: number;
  readonly gas_used: number;
  readonly gas_limit: number;
  readonly balance_burnt: U128String;
  readonly outgoing_receipts_root: CryptoHash;
  readonly tx_root: CryptoHash;
  readonly validator_proposals: readonly unknown[];
  readonly signature: string;
}

export interface LakeBlock {
  readonly author: string;
  readonly header: LakeBlockHeader;
  readonly chunks: readonly LakeChunkHeader[];
}

export type LakeAction =
  | 'CreateAccount'
  | { readonly FunctionCall: { readonly method_name: string; /** base64 */ readonly args: string; readonly gas: number; readonly deposit: U128String } }
  | { readonly Transfer: { readonly deposit: U128String } }
  | { readonly AddKey: { readonly public_key: string; readonly access_key: { readonly nonce: number; readonly permission: unknown } } }
  | { readonly DeleteKey: { readonly public_key: string } }
  | { readonly DeployContract: { readonly code: string } }
  | { readonly DeleteAccount: { readonly beneficiary_id: string } };

export type LakeReceiptBody =
  | {
      readonly Action: {
        readonly signer_id: string;
        readonly signer_public_key: string;
        readonly gas_price: U128String;
        readonly output_data_receivers: readonly { readonly data_id: CryptoHash; readonly receiver_id: string }[];
        readonly input_data_ids: readonly CryptoHash[];
        readonly actions: readonly LakeAction[];
        readonly is_promise_yield?: boolean;
      };
    }
  | { readonly Data: { readonly data_id: CryptoHash; /** base64, or null for a failed promise */ readonly data: string | null; readonly is_promise_resume?: boolean } };

export interface LakeReceipt {
  readonly predecessor_id: string;
  readonly receiver_id: string;
  readonly receipt_id: CryptoHash;
  readonly receipt: LakeReceiptBody;
  readonly priority?: number;
}

export type LakeExecutionStatus =
  | { readonly SuccessValue: string }
  | { readonly SuccessReceiptId: CryptoHash }
  | { readonly Failure: unknown }
  | 'Unknown';

export interface LakeExecutionOutcomeWithId {
  readonly proof: readonly unknown[];
  readonly block_hash: CryptoHash;
  /** The receipt id (or transaction hash) this outcome is for. */
  readonly id: CryptoHash;
  readonly outcome: {
    readonly logs: readonly string[];
    readonly receipt_ids: readonly CryptoHash[];
    readonly gas_burnt: number;
    readonly tokens_burnt: U128String;
    readonly executor_id: string;
    readonly status: LakeExecutionStatus;
    readonly metadata: { readonly version: number; readonly gas_profile: unknown };
  };
}

export interface LakeTransaction {
  readonly signer_id: string;
  readonly public_key: string;
  readonly nonce: number;
  readonly receiver_id: string;
  readonly actions: readonly LakeAction[];
  readonly signature: string;
  readonly hash: CryptoHash;
  readonly priority_fee?: number;
}

export interface LakeShard {
  readonly shard_id: number;
  readonly chunk: {
    readonly author: string;
    readonly header: LakeChunkHeader;
    readonly transactions: readonly { readonly transaction: LakeTransaction; readonly outcome: { readonly execution_outcome: LakeExecutionOutcomeWithId; readonly receipt: null } }[];
    readonly receipts: readonly LakeReceipt[];
  } | null;
  readonly receipt_execution_outcomes: readonly { readonly execution_outcome: LakeExecutionOutcomeWithId; readonly receipt: LakeReceipt }[];
  readonly state_changes: readonly unknown[];
}

/** `<12-digit zero-padded height>` — the folder of one block in a Lake bucket. */
export function lakeBlockFolder(height: number): string {
  return String(height).padStart(12, '0');
}
