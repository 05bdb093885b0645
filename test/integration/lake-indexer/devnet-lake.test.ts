import { actionCreators } from '@near-js/transactions';
import { setTimeout as sleep } from 'node:timers/promises';
import { hexToBytes } from '@noble/hashes/utils.js';
import { mpcSignerContract } from '../../../contract/index.js';
import { NODES, THREE_NODES, ecdsaResponse, ed25519Response } from '../../../contract/testing/mpc-fixtures.js';
import { startDevnetChain, type CreatedAccount, type RunningDevnetChain } from '../../../services/devnet/chain/index.js';
import { LocalSigner, waitForExecution } from '../../../services/devnet/chain/local-signer.js';
import { startLakeWriter, startS3EventBridge, type RunningLakeWriter, type RunningS3EventBridge } from '../../../services/devnet/lake/index.js';
import type { SignRequest } from '../../../shared/near/sign-request.js';
import { IndexerMetric } from '../../../lambdas/lake-indexer/indexer.js';
import { contractRequestOf } from '../../../services/mpc-node/signing/signature-service.js';
import { bringUpSigner } from '../../support/devnet-signer.js';
import { createIndexerHarness, type IndexerHarness } from './harness.js';

// Blocks made by the devnet chain running the real MPC signer contract, written to S3 by the devnet
// Lake writer and announced by its S3-event bridge: the indexer sees exactly what it will see in the
// one-command network. The test plays the MPC node: it responds to what arrives on the queue.
const SIGNER = 'v1.signer';
const TGAS = 10n ** 12n;
const TIMEOUT_MS = 60_000;
// Long enough (at 20 ms blocks) for the indexer and the test's "node" to respond on a loaded machine,
// short enough to watch the legacy request time out.
const YIELD_TIMEOUT_BLOCKS = 150;

const { functionCall } = actionCreators;

describe('lake indexer on blocks written by the devnet Lake writer', () => {
  let harness: IndexerHarness;
  let devnet: RunningDevnetChain;
  let writer: RunningLakeWriter;
  const bridges: RunningS3EventBridge[] = [];
  let nodes: CreatedAccount[];
  let alice: LocalSigner;

  const signerFor = (account: CreatedAccount) => new LocalSigner(devnet.chain, account.accountId, account.keyPair);
  const call = async (account: CreatedAccount, method: string, args: unknown, deposit = 0n) => {
    const result = await signerFor(account).execute(SIGNER, [functionCall(method, args as object, 100n * TGAS, deposit)], TIMEOUT_MS);
    if (result.status.kind !== 'SuccessValue') throw new Error(`${method} by ${account.accountId} failed: ${JSON.stringify(result.status)}`);
    return result.receiptOutcomes.flatMap((outcome) => outcome.logs);
  };

  /** Runs the indexer (the devnet poller's step) until `probe` is satisfied; bounded by attempts. */
  async function indexUntil<T>(what: string, probe: () => Promise<T | undefined>): Promise<T> {
    for (let attempt = 0; attempt < 400; attempt += 1) {
      await harness.pollUntilEmpty();
      const value = await probe();
      if (value !== undefined) return value;
      await sleep(25);
    }
    throw new Error(`gave up waiting for ${what}`);
  }

  beforeAll(async () => {
    harness = await createIndexerHarness('devnet-lake', { contractId: SIGNER });
    devnet = await startDevnetChain({
      // The contract fixtures' participants are `nodeN.near`: sub-accounts of the root.
      rootAccountId: 'near',
      blockTimeMs: 20,
      yieldTimeoutBlocks: YIELD_TIMEOUT_BLOCKS,
      contracts: [{ accountId: SIGNER, definition: mpcSignerContract, init: { methodName: 'init', args: { parameters: THREE_NODES } } }],
    });
    nodes = [];
    for (const accountId of NODES) nodes.push(await devnet.createAccount(accountId));
    alice = signerFor(await devnet.createAccount('alice.near'));
    await bringUpSigner(nodes.map(signerFor), SIGNER, ['Secp256k1', 'Ed25519']);
    writer = await startLakeWriter({ chain: devnet.chain, s3: harness.s3, bucket: harness.bucket, createBucket: false, fromHeight: devnet.chain.head().header.height });
    bridges.push(await startS3EventBridge({ s3: harness.s3, sqs: harness.sqs, bucket: harness.bucket, queueUrl: harness.lakeEventsUrl, region: 'us-east-1', pollIntervalMs: 50 }));
  }, TIMEOUT_MS);

  afterAll(async () => {
    for (const bridge of bridges) await bridge.stop();
    await writer?.stop();
    await devnet?.stop();
    await harness?.destroy();
  });

  it('enqueues the accepted sign calls once, closes them as answered or timed out, and ignores a replay', async () => {
    const ecdsaPayload = 'a1'.repeat(32);
    const eddsaPayload = 'b2'.repeat(40);
    const sign = (args: unknown, deposit: bigint) => alice.send(SIGNER, [functionCall('sign', args as object, 50n * TGAS, deposit)]);
    const transactions = {
      ecdsa: await sign({ request: { path: 'ethereum-1', payload_v2: { Ecdsa: ecdsaPayload }, domain_id: 0 } }, 1n),
      eddsa: await sign({ request: { path: 'solana-1', payload_v2: { Eddsa: eddsaPayload }, domain_id: 1 } }, 1n),
      legacy: await sign({ request: { path: 'bitcoin-1', payload: Array.from({ length: 32 }, (_, i) => i), key_version: 0 } }, 1n),
      // No deposit: the contract panics, so no request.
      rejected: await sign({ request: { path: 'x', payload_v2: { Ecdsa: ecdsaPayload }, domain_id: 0 } }, 0n),
    };

    const received: SignRequest[] = [];
    await indexUntil('the three accepted sign calls on the queue', async () => {
      received.push(...(await harness.drainSignRequests()));
      return received.length >= 3 ? received : undefined;
    });
    const byPath = new Map(received.map((request) => [request.path, request]));
    expect([...byPath.keys()].sort()).toEqual(['bitcoin-1', 'ethereum-1', 'solana-1']);

    // What the chain itself says the request ids are: the yield callback receipts of the sign calls.
    const yieldIdOf = (hash: string): string | undefined => {
      const result = devnet.chain.transactionResult(hash);
      if (result.phase !== 'included') return undefined;
      const signOutcome = result.receiptOutcomes.find((outcome) => outcome.executorId === SIGNER && outcome.status.kind === 'SuccessReceiptId');
      return signOutcome?.status.kind === 'SuccessReceiptId' ? signOutcome.status.receiptId : undefined;
    };
    expect(byPath.get('ethereum-1')).toMatchObject({ requestId: yieldIdOf(transactions.ecdsa.hash), predecessorId: 'alice.near', domainId: 0, payload: { scheme: 'Ecdsa', hex: ecdsaPayload } });
    expect(byPath.get('solana-1')).toMatchObject({ requestId: yieldIdOf(transactions.eddsa.hash), domainId: 1, payload: { scheme: 'Eddsa', hex: eddsaPayload } });
    expect(byPath.get('bitcoin-1')).toMatchObject({ requestId: yieldIdOf(transactions.legacy.hash), argsForm: 'legacy', domainId: 0 });
    for (const request of received) {
      const block = devnet.chain.blockByHash(request.blockHash);
      expect(request.block.height).toBe(block?.header.height);
    }

    // Act as the MPC node: answer the ECDSA and EdDSA requests from the queue messages; let the legacy one time out.
    for (const request of [byPath.get('ethereum-1')!, byPath.get('solana-1')!]) {
      const payload = hexToBytes(request.payload.hex);
      const response = request.payload.scheme === 'Ecdsa' ? ecdsaResponse(request.predecessorId, request.path, payload) : ed25519Response(request.predecessorId, request.path, payload);
      // The arguments the node sends, built from the queue message.
      const logs = await call(nodes[0]!, 'respond', { request: contractRequestOf(request), response });
      // Resumed before the runtime timed the yield out (else the test machine was too slow, not the indexer wrong).
      expect(logs).toContain(`respond: signer=${nodes[0]!.accountId}, resumed 1 queued sign calls`);
    }
    for (const transaction of Object.values(transactions)) await waitForExecution(devnet.chain, transaction.hash, TIMEOUT_MS);

    const statuses = await indexUntil('every request closed', async () => {
      const items = await Promise.all(received.map((request) => harness.requestItem(request.requestId)));
      const closed = items.map((item) => item?.status?.S);
      return closed.every((status) => status !== 'pending') ? new Map(received.map((request, index) => [request.path, closed[index]])) : undefined;
    });
    expect(Object.fromEntries(statuses)).toEqual({ 'ethereum-1': 'answered', 'solana-1': 'answered', 'bitcoin-1': 'timed_out' });

    // Replay everything written so far (a second bridge announces every block again from the start).
    const announced = bridges[0]!.sentCount();
    bridges.push(await startS3EventBridge({ s3: harness.s3, sqs: harness.sqs, bucket: harness.bucket, queueUrl: harness.lakeEventsUrl, region: 'us-east-1', pollIntervalMs: 50 }));
    await indexUntil('the replay', async () => (bridges[1]!.sentCount() >= announced ? true : undefined));
    await harness.pollUntilEmpty();

    // The replayed sign calls were found again and recognised as handled: nothing sent twice.
    expect(harness.metrics.total(IndexerMetric.SignRequestsAlreadyHandled)).toBeGreaterThanOrEqual(3);
    expect(harness.queue.sent.sort()).toEqual(received.map((request) => request.requestId).sort());
    expect(await harness.drainSignRequests()).toEqual([]);
    expect(await harness.drain(harness.deadLetterUrl)).toEqual([]);
  }, 120_000);
});
