/**
 * Hand-built NEAR Lake files, typed with shared/near/lake-types.ts so the compiler holds them to the
 * shapes the devnet Lake writer produces. Ids are base58 of SHA-256(label): deterministic and
 * readable in tests (`hashOf('sign-ecdsa')`).
 */
import { sha256 } from '@noble/hashes/sha2.js';
import { utf8ToBytes } from '@noble/hashes/utils.js';
import { base58 } from '@scure/base';
import type {
  CryptoHash,
  LakeAction,
  LakeBlock,
  LakeChunkHeader,
  LakeExecutionStatus,
  LakeReceipt,
  LakeShard,
} from '../../../shared/near/lake-types.js';

export const MPC_CONTRACT = 'v1.signer.test.near';
export const FASTAUTH_CONTRACT = 'fast-auth.test.near';
export const MPC_NODE_ACCOUNT = 'node-1.test.near';

export function hashOf(label: string): CryptoHash {
  return base58.encode(sha256(utf8ToBytes(label)));
}

export function blockHashAt(height: number): CryptoHash {
  return hashOf(`block ${height}`);
}

/** Block times: one block a second from a fixed origin, in nanoseconds. */
export const GENESIS_NANOS = 1_760_000_000_000_000_000n;

function base64Json(value: unknown): string {
  return Buffer.from(JSON.stringify(value)).toString('base64');
}

export function functionCall(methodName: string, args: unknown, deposit = '0'): LakeAction {
  return { FunctionCall: { method_name: methodName, args: base64Json(args), gas: 15_000_000_000_000, deposit } };
}

export interface ExecutedReceipt {
  readonly receiptId: CryptoHash;
  readonly predecessorId: string;
  /** Receiver and executor of the receipt. */
  readonly receiverId: string;
  readonly signerId?: string;
  readonly actions: readonly LakeAction[];
  readonly status: LakeExecutionStatus;
  readonly isPromiseYield?: boolean;
}

type ReceiptExecutionOutcome = LakeShard['receipt_execution_outcomes'][number];

export function executedReceipt(height: number, receipt: ExecutedReceipt): ReceiptExecutionOutcome {
  const lakeReceipt: LakeReceipt = {
    predecessor_id: receipt.predecessorId,
    receiver_id: receipt.receiverId,
    receipt_id: receipt.receiptId,
    receipt: {
      Action: {
        signer_id: receipt.signerId ?? receipt.predecessorId,
        signer_public_key: 'ed25519:6E8sCci9badyRkXb3JoRpBj5p8C6Tw41ELDZoiihKEtp',
        gas_price: '100000000',
        output_data_receivers: [],
        input_data_ids: receipt.isPromiseYield === true ? [hashOf(`data ${receipt.receiptId}`)] : [],
        actions: receipt.actions,
        ...(receipt.isPromiseYield === true ? { is_promise_yield: true } : {}),
      },
    },
    priority: 0,
  };
  return {
    execution_outcome: {
      proof: [],
      block_hash: blockHashAt(height),
      id: receipt.receiptId,
      outcome: {
        logs: [],
        receipt_ids: typeof receipt.status === 'object' && 'SuccessReceiptId' in receipt.status ? [receipt.status.SuccessReceiptId] : [],
        gas_burnt: 2_428_000_000_000,
        tokens_burnt: '242800000000000000000',
        executor_id: receipt.receiverId,
        status: receipt.status,
        metadata: { version: 3, gas_profile: [] },
      },
    },
    receipt: lakeReceipt,
  };
}

/** A `sign` call to the MPC contract the contract accepted (it yielded on `requestId`). */
export function acceptedSign(height: number, label: string, predecessorId: string, args: unknown, signerId = predecessorId): ReceiptExecutionOutcome {
  return executedReceipt(height, {
    receiptId: hashOf(`sign ${label}`),
    predecessorId,
    signerId,
    receiverId: MPC_CONTRACT,
    actions: [functionCall('sign', args, '1')],
    status: { SuccessReceiptId: requestIdOf(label) },
  });
}

/** The request id (yield callback receipt id) of the sign call made by {@link acceptedSign} with `label`. */
export function requestIdOf(label: string): CryptoHash {
  return hashOf(`yield ${label}`);
}

/** The yield callback of the request `label` ran: `answered` returns the signature, `timed_out` chains `fail_on_timeout`. */
export function signCallback(height: number, label: string, outcome: 'answered' | 'timed_out'): ReceiptExecutionOutcome {
  return executedReceipt(height, {
    receiptId: requestIdOf(label),
    predecessorId: MPC_CONTRACT,
    receiverId: MPC_CONTRACT,
    actions: [functionCall('return_signature_and_clean_state_on_success', { request: { label } })],
    status:
      outcome === 'answered'
        ? { SuccessValue: base64Json({ scheme: 'Ed25519', signature: Array.from({ length: 64 }, (_, i) => i) }) }
        : { SuccessReceiptId: hashOf(`fail_on_timeout ${label}`) },
    isPromiseYield: true,
  });
}

export function ecdsaArgs(path: string, payloadHex: string, domainId = 0): unknown {
  return { request: { path, payload_v2: { Ecdsa: payloadHex }, domain_id: domainId } };
}

export function eddsaArgs(path: string, payloadHex: string, domainId = 1): unknown {
  return { request: { path, payload_v2: { Eddsa: payloadHex }, domain_id: domainId } };
}

export function legacyArgs(path: string, payload: readonly number[], keyVersion = 0): unknown {
  return { request: { payload, path, key_version: keyVersion } };
}

function chunkHeader(height: number, shardId: number): LakeChunkHeader {
  return {
    chunk_hash: hashOf(`chunk ${height}/${shardId}`),
    prev_block_hash: blockHashAt(height - 1),
    outcome_root: hashOf('outcome root'),
    prev_state_root: hashOf('state root'),
    encoded_merkle_root: hashOf('merkle root'),
    encoded_length: 8,
    height_created: height,
    height_included: height,
    shard_id: shardId,
    gas_used: 0,
    gas_limit: 1_000_000_000_000_000,
    balance_burnt: '0',
    outgoing_receipts_root: hashOf('outgoing receipts root'),
    tx_root: hashOf('tx root'),
    validator_proposals: [],
    signature: 'ed25519:3s1dvZdQtcAjBksMHFrysqvF63wnyMHPA4owNQmCJZ2EBakZEKdtMsLqrHdKWQjJbSRN6kRknN2WdwSBLWGCokXj',
  };
}

export function shardFile(height: number, shardId: number, outcomes: readonly ReceiptExecutionOutcome[]): LakeShard {
  return {
    shard_id: shardId,
    chunk: { author: 'validator.test.near', header: chunkHeader(height, shardId), transactions: [], receipts: outcomes.map((outcome) => outcome.receipt) },
    receipt_execution_outcomes: outcomes,
    state_changes: [],
  };
}

export function blockFile(height: number, shardCount = 1): LakeBlock {
  const timestamp = GENESIS_NANOS + BigInt(height) * 1_000_000_000n;
  return {
    author: 'validator.test.near',
    header: {
      height,
      prev_height: height - 1,
      epoch_id: hashOf('epoch'),
      next_epoch_id: hashOf('next epoch'),
      hash: blockHashAt(height),
      prev_hash: blockHashAt(height - 1),
      prev_state_root: hashOf('state root'),
      chunk_receipts_root: hashOf('chunk receipts root'),
      chunk_headers_root: hashOf('chunk headers root'),
      chunk_tx_root: hashOf('chunk tx root'),
      outcome_root: hashOf('outcome root'),
      chunks_included: shardCount,
      challenges_root: hashOf('challenges root'),
      timestamp: Number(timestamp / 1_000_000n),
      timestamp_nanosec: timestamp.toString(),
      random_value: randomValueAt(height),
      validator_proposals: [],
      chunk_mask: Array.from({ length: shardCount }, () => true),
      gas_price: '100000000',
      block_ordinal: height,
      total_supply: '2500000000000000000000000000000000',
      challenges_result: [],
      last_final_block: blockHashAt(height - 2),
      last_ds_final_block: blockHashAt(height - 1),
      next_bp_hash: hashOf('next bp'),
      block_merkle_root: hashOf('block merkle root'),
      epoch_sync_data_hash: null,
      approvals: [null],
      signature: 'ed25519:3s1dvZdQtcAjBksMHFrysqvF63wnyMHPA4owNQmCJZ2EBakZEKdtMsLqrHdKWQjJbSRN6kRknN2WdwSBLWGCokXj',
      latest_protocol_version: 73,
    },
    chunks: Array.from({ length: shardCount }, (_, shardId) => chunkHeader(height, shardId)),
  };
}

export function randomValueAt(height: number): CryptoHash {
  return hashOf(`random ${height}`);
}
