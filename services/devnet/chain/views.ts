/**
 * NEAR's JSON views of the chain's records (nearcore `*View` types, snake_case). The JSON-RPC
 * answers and the Lake files share them, as in nearcore, so both speak the shapes of
 * shared/near/lake-types.ts.
 */
import type {
  LakeAction,
  LakeBlock,
  LakeBlockHeader,
  LakeChunkHeader,
  LakeExecutionOutcomeWithId,
  LakeExecutionStatus,
  LakeReceipt,
  LakeShard,
  LakeTransaction,
} from '../../../shared/near/lake-types.js';
import { sha256Bytes, toBase64, ZERO_HASH } from './encoding.js';
import type { ChainConfig } from './chain.js';
import type { AccessKey, Action, ChainBlock, ChainTransaction, ExecutionOutcome, ExecutionStatus, Receipt } from './types.js';

/** The one block producer and chunk producer of the devnet. */
export interface ChainIdentity {
  readonly validatorId: string;
  readonly protocolVersion: number;
  /** The devnet has one epoch, forever. */
  readonly epochId: string;
}

export function chainIdentity(config: Pick<ChainConfig, 'registrarId' | 'protocolVersion'>): ChainIdentity {
  return { validatorId: config.registrarId, protocolVersion: config.protocolVersion, epochId: ZERO_HASH };
}

export function accessKeyView(key: AccessKey): { nonce: number; permission: 'FullAccess' | { FunctionCall: { allowance: string | null; receiver_id: string; method_names: string[] } } } {
  const permission = key.permission;
  return {
    nonce: Number(key.nonce),
    permission:
      permission.kind === 'FullAccess'
        ? 'FullAccess'
        : { FunctionCall: { allowance: permission.allowance === null ? null : permission.allowance.toString(), receiver_id: permission.receiverId, method_names: [...permission.methodNames] } },
  };
}

export function actionView(action: Action): LakeAction {
  switch (action.type) {
    case 'CreateAccount':
      return 'CreateAccount';
    case 'DeployContract':
      // nearcore shows the code's hash, not the code.
      return { DeployContract: { code: toBase64(sha256Bytes(action.code)) } };
    case 'FunctionCall':
      return { FunctionCall: { method_name: action.methodName, args: toBase64(action.args), gas: Number(action.gas), deposit: action.deposit.toString() } };
    case 'Transfer':
      return { Transfer: { deposit: action.deposit.toString() } };
    case 'AddKey':
      return { AddKey: { public_key: action.publicKey, access_key: accessKeyView(action.accessKey) } };
    case 'DeleteKey':
      return { DeleteKey: { public_key: action.publicKey } };
    case 'DeleteAccount':
      return { DeleteAccount: { beneficiary_id: action.beneficiaryId } };
  }
}

export function statusView(status: ExecutionStatus): LakeExecutionStatus {
  switch (status.kind) {
    case 'SuccessValue':
      return { SuccessValue: toBase64(status.value) };
    case 'SuccessReceiptId':
      return { SuccessReceiptId: status.receiptId };
    case 'Failure':
      return { Failure: status.error };
  }
}

export function outcomeView(outcome: ExecutionOutcome): LakeExecutionOutcomeWithId {
  return {
    proof: [],
    block_hash: outcome.blockHash,
    id: outcome.id,
    outcome: {
      logs: [...outcome.logs],
      receipt_ids: [...outcome.receiptIds],
      gas_burnt: Number(outcome.gasBurnt),
      tokens_burnt: outcome.tokensBurnt.toString(),
      executor_id: outcome.executorId,
      status: statusView(outcome.status),
      metadata: { version: 1, gas_profile: null },
    },
  };
}

export function receiptView(receipt: Receipt): LakeReceipt {
  const body: LakeReceipt['receipt'] =
    receipt.kind === 'action'
      ? {
          Action: {
            signer_id: receipt.signerId,
            signer_public_key: receipt.signerPublicKey,
            gas_price: receipt.gasPrice.toString(),
            output_data_receivers: receipt.outputDataReceivers.map((receiver) => ({ data_id: receiver.dataId, receiver_id: receiver.receiverId })),
            input_data_ids: [...receipt.inputDataIds],
            actions: receipt.actions.map(actionView),
            is_promise_yield: receipt.isPromiseYield,
          },
        }
      : { Data: { data_id: receipt.dataId, data: receipt.data === null ? null : toBase64(receipt.data), is_promise_resume: receipt.isPromiseResume } };
  return { predecessor_id: receipt.predecessorId, receiver_id: receipt.receiverId, receipt_id: receipt.receiptId, receipt: body, priority: 0 };
}

export function transactionView(transaction: ChainTransaction): LakeTransaction {
  return {
    signer_id: transaction.signerId,
    public_key: transaction.publicKey,
    nonce: Number(transaction.nonce),
    receiver_id: transaction.receiverId,
    actions: transaction.actions.map(actionView),
    signature: transaction.signature,
    hash: transaction.hash,
    priority_fee: 0,
  };
}

const SIGNATURE_PLACEHOLDER = `ed25519:${'1'.repeat(64)}`;

export function chunkHeaderView(block: ChainBlock): LakeChunkHeader {
  const header = block.header;
  return {
    chunk_hash: header.chunkHash,
    prev_block_hash: header.prevHash,
    outcome_root: header.outcomeRoot,
    prev_state_root: header.stateRoot,
    encoded_merkle_root: header.chunkHash,
    encoded_length: 0,
    height_created: header.height,
    height_included: header.height,
    shard_id: 0,
    gas_used: Number(header.gasUsed),
    gas_limit: 1_000_000_000_000_000,
    balance_burnt: header.balanceBurnt.toString(),
    outgoing_receipts_root: header.receiptsRoot,
    tx_root: header.txRoot,
    validator_proposals: [],
    signature: SIGNATURE_PLACEHOLDER,
  };
}

export function blockHeaderView(block: ChainBlock, identity: ChainIdentity): LakeBlockHeader {
  const header = block.header;
  return {
    height: header.height,
    prev_height: header.prevHeight,
    epoch_id: identity.epochId,
    next_epoch_id: identity.epochId,
    hash: header.hash,
    prev_hash: header.prevHash,
    prev_state_root: header.stateRoot,
    chunk_receipts_root: header.receiptsRoot,
    chunk_headers_root: header.chunkHash,
    chunk_tx_root: header.txRoot,
    outcome_root: header.outcomeRoot,
    chunks_included: 1,
    challenges_root: ZERO_HASH,
    timestamp: Number(header.timestampNs / 1_000_000n) * 1_000_000,
    timestamp_nanosec: header.timestampNs.toString(),
    random_value: header.randomValue,
    validator_proposals: [],
    chunk_mask: [true],
    gas_price: header.gasPrice.toString(),
    block_ordinal: header.height,
    total_supply: header.totalSupply.toString(),
    challenges_result: [],
    // One producer, instant finality: every block is final once produced.
    last_final_block: header.prevHash,
    last_ds_final_block: header.prevHash,
    next_bp_hash: ZERO_HASH,
    block_merkle_root: ZERO_HASH,
    epoch_sync_data_hash: null,
    approvals: [],
    signature: SIGNATURE_PLACEHOLDER,
    latest_protocol_version: identity.protocolVersion,
  };
}

export function blockView(block: ChainBlock, identity: ChainIdentity): LakeBlock {
  return { author: identity.validatorId, header: blockHeaderView(block, identity), chunks: [chunkHeaderView(block)] };
}

/** The block's only shard, `shard_0.json`. */
export function shardView(block: ChainBlock, identity: ChainIdentity): LakeShard {
  return {
    shard_id: 0,
    chunk: {
      author: identity.validatorId,
      header: chunkHeaderView(block),
      transactions: block.transactions.map(({ transaction, outcome }) => ({
        transaction: transactionView(transaction),
        outcome: { execution_outcome: outcomeView(outcome), receipt: null },
      })),
      receipts: block.receipts.map(receiptView),
    },
    receipt_execution_outcomes: block.receiptOutcomes.map(({ receipt, outcome }) => ({ execution_outcome: outcomeView(outcome), receipt: receiptView(receipt) })),
    state_changes: [],
  };
}
