/**
 * Lake indexer CPU path: shard file bytes → parsed shard → sign activity → sign requests with their
 * block's entropy (`readShardActivity` + `attachBlock`, exactly what the handler runs per shard; the
 * S3, DynamoDB and SQS calls around it are I/O and not measured here).
 *
 * Shards are mainnet-like: executed receipts (function calls to other contracts with JSON arguments,
 * transfers, failures) of which 5 are sign calls to the MPC contract (ECDSA, EdDSA, legacy, FastAuth),
 * the chunk's copy of every receipt, and twice as many state changes, which the indexer does not read
 * but JSON.parse must still get through. "Typical" has 30 receipts (~60 KiB: mainnet spreads a block
 * over 9 shards), "busy" 100 (~200 KiB). JSON.parse is most of the cost, so the rate scales with size.
 *
 * Records (medians over rounds; `n` and `t` do not apply to the indexer and are 0):
 * `indexer.shards_per_s` and `indexer.requests_per_s` for typical shards (wall clock),
 * `indexer.shards_per_cpu_s` (the same per second of process CPU time: on a shared machine wall time
 * includes waiting for a core), and `indexer.busy_shards_per_s`.
 */
import { parseLakeBlock, type ParsedBlock } from '../../shared/near/lake-parser.js';
import { attachBlock } from '../../shared/near/sign-request.js';
import type { LakeShard } from '../../shared/near/lake-types.js';
import { readShardActivity } from '../../lambdas/lake-indexer/indexer.js';
import { DEFAULT_MAX_OBJECT_BYTES } from '../../lambdas/lake-indexer/config.js';
import {
  FASTAUTH_CONTRACT,
  MPC_CONTRACT,
  acceptedSign,
  blockFile,
  ecdsaArgs,
  eddsaArgs,
  executedReceipt,
  functionCall,
  hashOf,
  legacyArgs,
  shardFile,
} from '../integration/lake-indexer/lake-fixtures.js';
import { median, type BenchRecord, type BenchSuite } from './records.js';

const HEIGHT = 150_000_000;
const SIGN_CALLS_PER_SHARD = 5;
const TYPICAL_RECEIPTS = 30;
const BUSY_RECEIPTS = 100;
const SHARDS_PER_ROUND = 400;
const ROUNDS = 5;

function mainnetLikeShard(variant: number, receipts: number): Uint8Array {
  const outcomes: LakeShard['receipt_execution_outcomes'][number][] = [
    acceptedSign(HEIGHT, `ecdsa ${variant}`, `user-${variant}.near`, ecdsaArgs(`ethereum-${variant}`, 'ab'.repeat(32))),
    acceptedSign(HEIGHT, `eddsa ${variant}`, `user-${variant}.near`, eddsaArgs(`solana-${variant}`, 'cd'.repeat(32))),
    acceptedSign(HEIGHT, `legacy ${variant}`, `user-${variant}.near`, legacyArgs(`bitcoin-${variant}`, Array.from({ length: 32 }, (_, i) => i))),
    acceptedSign(HEIGHT, `fastauth ${variant}`, FASTAUTH_CONTRACT, eddsaArgs(`jwt#sub-${variant}`, 'ef'.repeat(32)), `user-${variant}.near`),
    acceptedSign(HEIGHT, `ecdsa2 ${variant}`, `dapp-${variant}.near`, ecdsaArgs('vault', '12'.repeat(32), 3)),
  ];
  for (let i = outcomes.length; i < receipts; i += 1) {
    const receiptId = hashOf(`receipt ${variant}/${i}`);
    const kind = i % 5;
    outcomes.push(
      executedReceipt(HEIGHT, {
        receiptId,
        predecessorId: `account-${i}.near`,
        receiverId: kind === 0 ? MPC_CONTRACT : `token-${i % 7}.near`,
        actions:
          kind === 1
            ? [{ Transfer: { deposit: '1000000000000000000000000' } }]
            : [functionCall(kind === 0 ? 'public_key' : 'ft_transfer', { receiver_id: `account-${i + 1}.near`, amount: String(i * 1_000_000), memo: 'x'.repeat(40) })],
        status: kind === 2 ? { Failure: { ActionError: { index: 0, kind: { FunctionCallError: { ExecutionError: 'Smart contract panicked: not enough balance' } } } } } : { SuccessValue: '' },
      }),
    );
  }
  const shard = shardFile(HEIGHT, 0, outcomes);
  const stateChanges = Array.from({ length: 2 * receipts }, (_, i) => ({
    cause: { type: 'receipt_processing', receipt_hash: hashOf(`receipt ${variant}/${i % receipts}`) },
    type: 'account_update',
    change: { account_id: `account-${i}.near`, amount: '1000000000000000000000000', locked: '0', code_hash: '11111111111111111111111111111111', storage_usage: 182, storage_paid_at: 0 },
  }));
  return Buffer.from(JSON.stringify({ ...shard, state_changes: stateChanges }));
}

interface Rates {
  readonly shardsPerSecond: number;
  readonly requestsPerSecond: number;
  readonly shardsPerCpuSecond: number;
}

/** Runs the handler's per-shard CPU path over `shards` in rounds; returns median rates. */
function measure(label: string, shards: readonly Uint8Array[], block: ParsedBlock, progress: (line: string) => void): Rates {
  const indexRound = (): { seconds: number; cpuSeconds: number; requests: number } => {
    let requests = 0;
    const start = process.hrtime.bigint();
    const cpuStart = process.cpuUsage();
    for (let i = 0; i < SHARDS_PER_ROUND; i += 1) {
      const activity = readShardActivity(shards[i % shards.length]!, 'bench', MPC_CONTRACT, DEFAULT_MAX_OBJECT_BYTES);
      requests += attachBlock(activity.signCalls, block, MPC_CONTRACT).length;
    }
    const cpu = process.cpuUsage(cpuStart);
    return { seconds: Number(process.hrtime.bigint() - start) / 1e9, cpuSeconds: (cpu.user + cpu.system) / 1e6, requests };
  };
  progress(`${label} shard: ${(shards[0]!.byteLength / 1024).toFixed(0)} KiB, ${SIGN_CALLS_PER_SHARD} sign calls`);
  indexRound(); // warm-up: JIT and zod schema compilation
  const shardRates: number[] = [];
  const requestRates: number[] = [];
  const cpuShardRates: number[] = [];
  for (let round = 0; round < ROUNDS; round += 1) {
    const { seconds, cpuSeconds, requests } = indexRound();
    // A benchmark that silently stopped finding requests would measure the wrong path.
    if (requests !== SHARDS_PER_ROUND * SIGN_CALLS_PER_SHARD) throw new Error(`${label} shards yielded ${requests} requests, expected ${SHARDS_PER_ROUND * SIGN_CALLS_PER_SHARD}`);
    shardRates.push(SHARDS_PER_ROUND / seconds);
    requestRates.push(requests / seconds);
    cpuShardRates.push(SHARDS_PER_ROUND / cpuSeconds);
  }
  const rates = {
    shardsPerSecond: Math.round(median(shardRates)),
    requestsPerSecond: Math.round(median(requestRates)),
    shardsPerCpuSecond: Math.round(median(cpuShardRates)),
  };
  progress(`${label}: ${rates.shardsPerSecond} shards/s, ${rates.requestsPerSecond} requests/s (${rates.shardsPerCpuSecond} shards per CPU second)`);
  return rates;
}

export const indexerBenchSuite: BenchSuite = {
  name: 'lake indexer: shard parse + sign request extraction',
  group: 'indexer',
  async run(progress) {
    const block = parseLakeBlock(JSON.stringify(blockFile(HEIGHT)), { source: 'bench', maxBytes: DEFAULT_MAX_OBJECT_BYTES });
    // Distinct shards (ids and accounts differ), so nothing is measured warm on one string.
    const shardsOf = (receipts: number) => Array.from({ length: 16 }, (_, variant) => mainnetLikeShard(variant, receipts));
    const typical = measure('typical', shardsOf(TYPICAL_RECEIPTS), block, progress);
    const busy = measure('busy', shardsOf(BUSY_RECEIPTS), block, progress);
    const records: BenchRecord[] = [
      { metric: 'indexer.shards_per_s', n: 0, t: 0, value: typical.shardsPerSecond, unit: 'shards/s' },
      { metric: 'indexer.requests_per_s', n: 0, t: 0, value: typical.requestsPerSecond, unit: 'requests/s' },
      { metric: 'indexer.shards_per_cpu_s', n: 0, t: 0, value: typical.shardsPerCpuSecond, unit: 'shards/CPU s' },
      { metric: 'indexer.busy_shards_per_s', n: 0, t: 0, value: busy.shardsPerSecond, unit: 'shards/s' },
    ];
    return records;
  },
};
