import { LakeParseError } from '../../shared/near/lake-parser.js';
import { acceptedSign, ecdsaArgs, executedReceipt, functionCall, hashOf, MPC_CONTRACT, MPC_NODE_ACCOUNT, shardFile, signCallback } from '../../test/integration/lake-indexer/lake-fixtures.js';
import { judgeShard } from './shard-filter.js';

const bytesOf = (value: unknown): Uint8Array => new TextEncoder().encode(JSON.stringify(value));
const judge = (value: unknown) => judgeShard(bytesOf(value), 'shard', MPC_CONTRACT, 1 << 20);

describe('judgeShard: which signer shards the operator lake needs', () => {
  it('copies a shard where the contract accepted a sign call', () => {
    expect(judge(shardFile(7, 0, [acceptedSign(7, 'a', 'alice.near', ecdsaArgs('p', '11'.repeat(32)))]))).toEqual({ copy: true, reason: 'contract-activity', contractOutcomes: 1 });
  });

  it('skips a shard whose only contract receipts end requests: a node\'s respond, the yield callback', () => {
    const respond = executedReceipt(9, { receiptId: hashOf('respond'), predecessorId: MPC_NODE_ACCOUNT, receiverId: MPC_CONTRACT, actions: [functionCall('respond', {})], status: { SuccessValue: '' } });
    expect(judge(shardFile(8, 0, [signCallback(8, 'a', 'answered')]))).toEqual({ copy: false, reason: 'answers-only', answers: 1 });
    expect(judge(shardFile(8, 0, [signCallback(8, 'b', 'timed_out')]))).toEqual({ copy: false, reason: 'answers-only', answers: 1 });
    expect(judge(shardFile(9, 0, [respond, signCallback(9, 'a', 'answered')]))).toEqual({ copy: false, reason: 'answers-only', answers: 2 });
  });

  it('copies a shard with a sign call beside answers, and one with any other contract method (a vote, a method a newer indexer reads)', () => {
    const respond = executedReceipt(12, { receiptId: hashOf('respond2'), predecessorId: MPC_NODE_ACCOUNT, receiverId: MPC_CONTRACT, actions: [functionCall('respond', {})], status: { SuccessValue: '' } });
    const sign = acceptedSign(12, 'c', 'alice.near', ecdsaArgs('p', '22'.repeat(32)));
    expect(judge(shardFile(12, 0, [respond, sign]))).toEqual({ copy: true, reason: 'contract-activity', contractOutcomes: 1 });
    const vote = executedReceipt(13, { receiptId: hashOf('vote'), predecessorId: MPC_NODE_ACCOUNT, receiverId: MPC_CONTRACT, actions: [functionCall('vote_new_parameters', {})], status: { SuccessValue: '' } });
    expect(judge(shardFile(13, 0, [vote]))).toEqual({ copy: true, reason: 'contract-activity', contractOutcomes: 1 });
    // A respond batched with another call is not only an answer.
    const batched = executedReceipt(14, { receiptId: hashOf('batch'), predecessorId: MPC_NODE_ACCOUNT, receiverId: MPC_CONTRACT, actions: [functionCall('respond', {}), functionCall('request_app_private_key', {})], status: { SuccessValue: '' } });
    expect(judge(shardFile(14, 0, [batched]))).toEqual({ copy: true, reason: 'contract-activity', contractOutcomes: 1 });
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
