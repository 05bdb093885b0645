import { LakeParseError } from '../../shared/near/lake-parser.js';
import { acceptedSign, ecdsaArgs, executedReceipt, functionCall, hashOf, MPC_CONTRACT, MPC_NODE_ACCOUNT, shardFile, signCallback } from '../../test/integration/lake-indexer/lake-fixtures.js';
import { judgeShard } from './shard-filter.js';

const bytesOf = (value: unknown): Uint8Array => new TextEncoder().encode(JSON.stringify(value));
const judge = (value: unknown) => judgeShard(bytesOf(value), 'shard', MPC_CONTRACT, 1 << 20);

describe('judgeShard: which signer shards the operator lake needs', () => {
  it('copies a shard where the contract accepted a sign call', () => {
    expect(judge(shardFile(7, 0, [acceptedSign(7, 'a', 'alice.near', ecdsaArgs('p', '11'.repeat(32)))]))).toEqual({ copy: true, reason: 'contract-activity', contractOutcomes: 1 });
  });

  it('copies a shard where a request closed (its yield callback ran) or a node responded', () => {
    expect(judge(shardFile(8, 0, [signCallback(8, 'a', 'answered')]))).toMatchObject({ copy: true, contractOutcomes: 1 });
    const respond = executedReceipt(9, { receiptId: hashOf('respond'), predecessorId: MPC_NODE_ACCOUNT, receiverId: MPC_CONTRACT, actions: [functionCall('respond', {})], status: { SuccessValue: '' } });
    expect(judge(shardFile(9, 0, [respond]))).toMatchObject({ copy: true, contractOutcomes: 1 });
  });

  it('skips a shard whose receipts all ran on other accounts, and an empty chunk', () => {
    const transfer = executedReceipt(10, { receiptId: hashOf('t'), predecessorId: 'alice.near', receiverId: 'bob.near', actions: [functionCall('ft_transfer', {})], status: { SuccessValue: '' } });
    // A call *from* the contract that runs elsewhere is not the contract's activity either.
    const outgoing = executedReceipt(10, { receiptId: hashOf('o'), predecessorId: MPC_CONTRACT, receiverId: 'alice.near', actions: [functionCall('on_refund', {})], status: { SuccessValue: '' } });
    expect(judge(shardFile(10, 0, [transfer, outgoing]))).toEqual({ copy: false, reason: 'no-contract-activity' });
    expect(judge({ ...shardFile(11, 0, []), chunk: null })).toEqual({ copy: false, reason: 'no-contract-activity' });
  });

  it('copies a shard it cannot read, so the indexer reports it instead of the block vanishing', () => {
    const verdict = judge({ shard_id: 0, receipt_execution_outcomes: 'not a list' });
    expect(verdict).toMatchObject({ copy: true, reason: 'unreadable' });
    expect(verdict.copy && verdict.reason === 'unreadable' && verdict.error).toBeInstanceOf(LakeParseError);
    expect(judgeShard(new Uint8Array([0xff, 0xfe]), 'shard', MPC_CONTRACT, 1024)).toMatchObject({ copy: true, reason: 'unreadable' });
  });
});
