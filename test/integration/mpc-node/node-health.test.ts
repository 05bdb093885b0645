// The node's health as its orchestrator sees it (observability/health.ts, decision 0010): whole MpcNode
// processes' worth of code in this process — the real node wiring, the REAL signer contract in process
// (test/support/in-process-contract-chain.ts) behind the node's Chain port, DynamoDB Local, fauxqs —
// with the health limits shortened so that minutes become a second:
// - a node waiting to be voted in is live and says why it is not ready; a stop ends the wait;
// - a participant in a steady network (no state change for several staleness windows) stays live, and
//   its view of the contract counts as fresh;
// - an RPC outage makes it not ready, never dead (every node of a network would restart at once);
// - a participant entry the contract accepted but the mesh cannot use (node2's URL here) is left out,
//   logged and counted; the node starts and serves the others.
import { Logger } from '@aws-lambda-powertools/logger';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { CreateQueueCommand, DeleteQueueCommand, SQSClient } from '@aws-sdk/client-sqs';
import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex, utf8ToBytes } from '@noble/hashes/utils.js';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { participantInfo, thresholdParameters } from '../../../contract/testing/mpc-fixtures.js';
import { KeyPair } from '@near-js/crypto';
import type { Chain } from '../../../services/mpc-node/chain/chain.js';
import { ChainUnavailable } from '../../../services/mpc-node/chain/errors.js';
import { loadNodeConfig } from '../../../services/mpc-node/config.js';
import { MpcNode, NodeStartAborted } from '../../../services/mpc-node/node.js';
import { StaticStockpilePolicy } from '../../../services/mpc-node/stockpile-policy.js';
import { LocalKeyFileProvider } from '../../../services/mpc-node/storage/data-keys.js';
import { ensurePartitionSortTable } from '../../../services/mpc-node/storage/tables.js';
import { findFreePorts } from '../../../services/devnet/emulators/free-port.js';
import { InProcessSignerContract } from '../../support/in-process-contract-chain.js';
import { localAwsFromEnvironment } from '../../support/local-aws.js';

const PARTICIPANTS = ['node0.test', 'node1.test', 'node2.test'] as const;
const LIMITS = { loopSilenceMs: 1_500, stateStaleMs: 1_000 };
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

interface Health {
  readonly status: number;
  readonly body: { healthy: boolean; checks: { name: string; ok: boolean; detail?: string }[] };
}

async function health(port: number, path: '/livez' | '/readyz'): Promise<Health> {
  const response = await fetch(`http://127.0.0.1:${port}${path}`);
  return { status: response.status, body: (await response.json()) as Health['body'] };
}

const checkOf = (report: Health, name: string) => report.body.checks.find((check) => check.name === name);

/** Asks `/livez` every 100 ms for `ms`: every answer must be 200 (a node killed by its check in that window fails here). */
async function staysLive(port: number, ms: number): Promise<number> {
  let asked = 0;
  for (const end = Date.now() + ms; Date.now() < end; asked += 1) {
    const live = await health(port, '/livez');
    if (live.status !== 200) throw new Error(`/livez answered ${live.status}: ${JSON.stringify(live.body)}`);
    await sleep(100);
  }
  return asked;
}

describe('node health: liveness apart from readiness', () => {
  const local = localAwsFromEnvironment();
  const credentials = { accessKeyId: 'local', secretAccessKey: 'local' };
  const dynamodb = new DynamoDBClient({ region: local.region, endpoint: local.dynamodb, credentials });
  const sqs = new SQSClient({ region: local.region, endpoint: local.sqs, credentials });
  const keyDir = mkdtempSync(join(tmpdir(), 'node-health-'));
  const prefix = `health-${randomUUID().slice(0, 8)}`;
  const logger = new Logger({ serviceName: 'mpc-node', logLevel: 'ERROR' });
  const contract = new InProcessSignerContract('signer.test');
  /** While true, every view and call of the node's chain fails as an unreachable RPC does. */
  let rpcDown = false;
  let queueUrl: string;

  beforeAll(async () => {
    const parameters = thresholdParameters(PARTICIPANTS.map((account, id) => [account, id] as const), 2);
    // The contract takes any text as a URL; before, this one crashed every node at start (issue 21).
    parameters.participants.participants[2]![2].url = 'http://node2-test:99999';
    contract.init({ parameters });
    const tables = ['key-shares', 'triples', 'presignatures', 'requests'].map((table) => `${prefix}-${table}`);
    await Promise.all(tables.map((table) => ensurePartitionSortTable(dynamodb, table)));
    queueUrl = (await sqs.send(new CreateQueueCommand({ QueueName: `${prefix}.fifo`, Attributes: { FifoQueue: 'true' } }))).QueueUrl!;
  });
  afterAll(async () => {
    await sqs.send(new DeleteQueueCommand({ QueueUrl: queueUrl }));
    sqs.destroy();
    dynamodb.destroy();
    rmSync(keyDir, { recursive: true, force: true });
  });

  /** The chain of `account`, failing with ChainUnavailable while `rpcDown`. */
  function chainOf(account: string): Chain {
    const chain = contract.chainFor(account);
    const unavailable = (operation: string) => new ChainUnavailable(operation, 100, { cause: new Error('connect ECONNREFUSED (the test took the RPC down)') });
    return {
      ...chain,
      view: async (method, args) => {
        if (rpcDown) throw unavailable(method);
        return chain.view(method, args);
      },
      call: async (method, args, options) => {
        if (rpcDown) throw unavailable(method);
        return chain.call(method, args, options);
      },
    };
  }

  async function startNode(account: string, signal?: AbortSignal): Promise<{ httpPort: number; started: Promise<MpcNode> }> {
    const [meshPort, httpPort] = await findFreePorts(2);
    const config = loadNodeConfig({
      NODE_ACCOUNT_ID: account,
      NODE_ACCOUNT_SECRET_KEY: KeyPair.fromRandom('ed25519').toString(),
      MPC_CONTRACT_ID: 'signer.test',
      NEAR_RPC_URL: 'http://127.0.0.1:9',
      SIGN_REQUESTS_QUEUE_URL: queueUrl,
      KEY_SHARES_TABLE: `${prefix}-key-shares`,
      TRIPLES_TABLE: `${prefix}-triples`,
      PRESIGNATURES_TABLE: `${prefix}-presignatures`,
      MESH_LISTEN: `127.0.0.1:${meshPort}`,
      // participantInfo's key: the registered tls_public_key is this secret's.
      MESH_SIGN_SECRET_KEY: bytesToHex(sha256(utf8ToBytes(`node-key:${account}`))),
      SEALING: 'local-file',
      LOCAL_MASTER_KEY_FILE: join(keyDir, `${account}.key`),
      HTTP_PORT: String(httpPort),
      STATE_POLL_MS: '100',
    });
    const started = MpcNode.start({
      config,
      chain: chainOf(account),
      dynamodb,
      sqs,
      dataKeys: new LocalKeyFileProvider(config.LOCAL_MASTER_KEY_FILE!),
      stockpilePolicy: new StaticStockpilePolicy(config),
      logger,
      emfOutput: { write: () => true },
      health: LIMITS,
      ...(signal === undefined ? {} : { signal }),
    });
    return { httpPort, started };
  }

  /** Polls until `/livez` answers (the endpoint comes up before anything else). */
  async function endpointUp(port: number): Promise<void> {
    for (const end = Date.now() + 10_000; ; await sleep(25)) {
      try {
        await fetch(`http://127.0.0.1:${port}/livez`);
        return;
      } catch (error) {
        if (Date.now() > end) throw error;
      }
    }
  }

  it('keeps a node that waits to be voted in live, not ready and registered; a stop ends the wait', async () => {
    const stop = new AbortController();
    const { httpPort, started } = await startNode('joiner.test', stop.signal);
    const outcome = started.then(
      () => 'started',
      (error: unknown) => error,
    );
    await endpointUp(httpPort);
    // Three liveness limits' worth of waiting: a node waiting to be added must not be killed.
    expect(await staysLive(httpPort, 3 * LIMITS.loopSilenceMs)).toBeGreaterThan(5);
    const ready = await health(httpPort, '/readyz');
    expect(ready).toEqual({ status: 503, body: { healthy: false, checks: [{ name: 'participant', ok: false, detail: 'waiting to be a participant of signer.test' }] } });
    // It registered meanwhile, so the participants can vote it in.
    expect(contract.view('get_attestation', { tls_public_key: participantInfo('joiner.test').tls_public_key })).not.toBeNull();

    stop.abort();
    const ended = await outcome;
    expect(ended).toBeInstanceOf(NodeStartAborted);
    await expect(fetch(`http://127.0.0.1:${httpPort}/livez`)).rejects.toThrow();
  });

  it('keeps a participant of a steady network live and its view fresh; an RPC outage makes it not ready, never dead', async () => {
    const { httpPort, started } = await startNode('node0.test');
    const node = await started;
    try {
      // The contract does not change from here on: several staleness windows pass.
      expect(await staysLive(httpPort, 3 * LIMITS.stateStaleMs)).toBeGreaterThan(5);
      const steady = await health(httpPort, '/readyz');
      expect(checkOf(steady, 'contract-state')).toEqual({ name: 'contract-state', ok: true });
      // Not ready for other reasons, each named: no domain yet, and nodes 1 and 2 never started.
      expect(steady.status).toBe(503);
      expect(checkOf(steady, 'keys')).toEqual({ name: 'keys', ok: false, detail: 'no epoch to sign in yet (contract Running)' });
      expect(checkOf(steady, 'mesh')).toEqual({ name: 'mesh', ok: false, detail: '0 peers reachable, signing needs 1' });
      const metrics = await (await fetch(`http://127.0.0.1:${httpPort}/metrics`)).text();
      expect(metrics).toContain('node_participants_unusable 1');
      expect(metrics).toMatch(/^node_contract_state_age_seconds 0$/m);
      expect(metrics).toContain('node_domains{state="served"} 0');
      expect(metrics).not.toMatch(/^node_state_changes_failed_total /m);

      rpcDown = true;
      expect(await staysLive(httpPort, 3 * LIMITS.loopSilenceMs)).toBeGreaterThan(5);
      const outage = await health(httpPort, '/readyz');
      expect(outage.status).toBe(503);
      expect(checkOf(outage, 'contract-state')).toMatchObject({ ok: false, detail: expect.stringMatching(/^contract state last read \d+ s ago$/) });
      expect(await (await fetch(`http://127.0.0.1:${httpPort}/metrics`)).text()).toMatch(/^node_contract_state_polls_failed_total\{error="ChainUnavailable"\} [1-9]\d*$/m);

      rpcDown = false;
      for (const end = Date.now() + 10_000; checkOf(await health(httpPort, '/readyz'), 'contract-state')?.ok !== true; await sleep(50)) {
        if (Date.now() > end) throw new Error('the contract-state check did not recover after the RPC came back');
      }
    } finally {
      rpcDown = false;
      await node.stop();
    }
    await expect(fetch(`http://127.0.0.1:${httpPort}/livez`)).rejects.toThrow();
  });
});
