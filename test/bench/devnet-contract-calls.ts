/**
 * One `sign` function call on the devnet chain: near/mpc's published signer (3.14.0 wasm, from
 * ../shared/fixtures) beside our TypeScript signer (contract/mpc-signer), both brought to Running with
 * a Secp256k1 domain through the same calls (the same 3.14 ABI), on one in-process chain.
 *
 * Execution only: a round sends K sign transactions, lets one block include them, then times the
 * block that executes the K sign receipts and subtracts an empty block's time; the difference over K
 * is one call (instantiating the wasm, its host calls, the yield, the storage writes). Records, medians
 * over rounds, n = 3 participants, t = 2:
 * `devnet.wasm_sign_call_ms`, `devnet.ts_sign_call_ms`, and `devnet.wasm_vs_ts_sign_call` (their ratio).
 */
import { KeyPair } from '@near-js/crypto';
import { actionCreators } from '@near-js/transactions';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { mpcSignerContract } from '../../contract/mpc-signer/contract.js';
import { domainConfig, NODES, rootPublicKey } from '../../contract/testing/mpc-fixtures.js';
import { MOCK_VALID_ATTESTATION, type GovernanceThresholdParameters } from '../../shared/near/signer-abi.js';
import { DevnetChain, defaultChainConfig } from '../../services/devnet/chain/chain.js';
import { settle } from '../../services/devnet/chain/chain-testing.js';
import { LocalSigner } from '../../services/devnet/chain/local-signer.js';
import { median, type BenchRecord, type BenchSuite } from './records.js';

const NEAR = 10n ** 24n;
const TGAS = 10n ** 12n;
const SIGNER_WASM = fileURLToPath(new URL('../../../shared/fixtures/near-mpc/signer-3_14_0.wasm', import.meta.url));
const WASM_SIGNER = 'wasm-signer.devnet';
const TS_SIGNER = 'ts-signer.devnet';
const USER = 'user.devnet';
const CALLS_PER_ROUND = 10;
const ROUNDS = 9;
const { functionCall } = actionCreators;

interface BenchChain {
  readonly chain: DevnetChain;
  readonly nodes: readonly LocalSigner[];
  readonly user: LocalSigner;
}

function openChain(): BenchChain {
  const keys = [...NODES, USER].map(() => KeyPair.fromRandom('ed25519'));
  const initArgs = new TextEncoder().encode(JSON.stringify({ parameters: participantsWithKeys(keys.slice(0, NODES.length)) }));
  const chain = DevnetChain.open({
    config: defaultChainConfig(),
    library: [mpcSignerContract],
    genesis: {
      accounts: [
        { accountId: 'devnet', balance: 1_000n * NEAR },
        { accountId: WASM_SIGNER, balance: 50n * NEAR, wasm: new Uint8Array(readFileSync(SIGNER_WASM)) },
        { accountId: TS_SIGNER, balance: 50n * NEAR, contract: mpcSignerContract.name },
        ...[...NODES, USER].map((accountId, index) => ({ accountId, balance: 1_000n * NEAR, publicKeys: [keys[index]!.getPublicKey().toString()] })),
      ],
      // init is private: it runs as each contract itself in block 1.
      calls: [WASM_SIGNER, TS_SIGNER].map((accountId) => ({ accountId, methodName: 'init', args: initArgs })),
    },
  });
  chain.produceBlock();
  return { chain, nodes: NODES.map((accountId, index) => new LocalSigner(chain, accountId, keys[index]!)), user: new LocalSigner(chain, USER, keys.at(-1)!) };
}

async function call(bench: BenchChain, signer: LocalSigner, contract: string, method: string, args: unknown): Promise<void> {
  const result = settle(bench.chain, (await signer.send(contract, [functionCall(method, args as object, 300n * TGAS, 0n)])).hash);
  if (result.status.kind === 'Failure') throw new Error(`${contract}.${method} by ${signer.accountId} failed: ${JSON.stringify(result.status.error)}`);
}

/** The three participants, each registered with its account key as its mesh key, t = 2. */
function participantsWithKeys(keys: readonly KeyPair[]): GovernanceThresholdParameters {
  const participants = NODES.map((accountId, id) => [accountId, id, { url: `http://127.0.0.1:${9000 + id}`, tls_public_key: keys[id]!.getPublicKey().toString() }] as const);
  return { threshold: 2, participants: { next_id: NODES.length, participants } };
}

/** Each node registers, each participant votes the domain, the leader starts its key event, everyone votes `key` (no nodes run here). */
async function addSecp256k1Domain(bench: BenchChain, contract: string, key: string): Promise<void> {
  for (const node of bench.nodes) await call(bench, node, contract, 'submit_participant_info', { proposed_participant_attestation: MOCK_VALID_ATTESTATION, tls_public_key: node.publicKey });
  for (const node of bench.nodes) await call(bench, node, contract, 'vote_add_domains', { domains: [domainConfig(0, 'Secp256k1')] });
  const keyEventId = { epoch_id: 0, domain_id: 0, attempt_id: 0 };
  await call(bench, bench.nodes[0]!, contract, 'start_keygen_instance', { key_event_id: keyEventId });
  for (const node of bench.nodes) await call(bench, node, contract, 'vote_pk', { key_event_id: keyEventId, public_key: key });
}

async function prepare(bench: BenchChain): Promise<void> {
  for (const contract of [WASM_SIGNER, TS_SIGNER]) await addSecp256k1Domain(bench, contract, rootPublicKey('Secp256k1'));
}

const elapsedMs = (body: () => void): number => {
  const start = process.hrtime.bigint();
  body();
  return Number(process.hrtime.bigint() - start) / 1e6;
};

/** Median milliseconds of one `sign` receipt's execution on `contract`. */
async function signCallMs(bench: BenchChain, contract: string, gas: bigint, round: { next: number }): Promise<number> {
  const samples: number[] = [];
  for (let index = 0; index < ROUNDS; index += 1) {
    for (let callIndex = 0; callIndex < CALLS_PER_ROUND; callIndex += 1) {
      round.next += 1;
      const args = { request: { path: `bench-${round.next}`, payload_v2: { Ecdsa: round.next.toString(16).padStart(64, '0') }, domain_id: 0 } };
      await bench.user.send(contract, [functionCall('sign', args, gas, 1n)]);
    }
    bench.chain.produceBlock(); // includes the transactions
    const signBlock = elapsedMs(() => bench.chain.produceBlock());
    const executed = bench.chain.head().receiptOutcomes.filter(({ receipt }) => receipt.receiverId === contract);
    if (executed.length !== CALLS_PER_ROUND || executed.some(({ outcome }) => outcome.status.kind !== 'SuccessReceiptId')) {
      throw new Error(`expected ${CALLS_PER_ROUND} yielded sign calls on ${contract}, got ${JSON.stringify(executed.map(({ outcome }) => outcome.status))}`);
    }
    bench.chain.produceBlock(); // refunds
    const emptyBlock = elapsedMs(() => bench.chain.produceBlock());
    samples.push((signBlock - emptyBlock) / CALLS_PER_ROUND);
  }
  return median(samples);
}

export const devnetContractCallsSuite: BenchSuite = {
  name: 'devnet contract calls: sign on near/mpc 3.14.0 (wasm) and on our TypeScript signer',
  group: 'devnet',
  async run(progress) {
    const bench = openChain();
    await prepare(bench);
    const round = { next: 0 };
    // One warm-up round each: the first wasm call compiles the module, the first TypeScript call warms the JIT.
    await signCallMs(bench, WASM_SIGNER, 15n * TGAS, round);
    await signCallMs(bench, TS_SIGNER, 20n * TGAS, round);
    const wasm = await signCallMs(bench, WASM_SIGNER, 15n * TGAS, round);
    const typescript = await signCallMs(bench, TS_SIGNER, 20n * TGAS, round);
    progress(`sign call: wasm ${wasm.toFixed(3)} ms, TypeScript ${typescript.toFixed(3)} ms (median of ${ROUNDS} rounds of ${CALLS_PER_ROUND})`);
    const record = (metric: string, value: number, unit: string): BenchRecord => ({ metric, n: NODES.length, t: 2, value, unit });
    return [record('devnet.wasm_sign_call_ms', wasm, 'ms'), record('devnet.ts_sign_call_ms', typescript, 'ms'), record('devnet.wasm_vs_ts_sign_call', wasm / typescript, 'x')];
  },
};
