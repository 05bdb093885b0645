// End to end on the devnet: a fourth operator joins a running 2-of-3 network by resharing. Its node
// process runs from the start but waits until the contract names it; the three participants and the
// newcomer vote the new parameters (4 participants, threshold 3), the nodes link to the newcomer on the
// mesh without a restart, reshare both keys to it, and the contract runs the new epoch with the same root
// keys. With an old participant then killed, only a signing set that includes the newcomer is left, and
// ECDSA and EdDSA requests are still answered, with signatures verified under the unchanged derived keys.
// ECDSA needs presignatures made from triples of the new three-party sets: triples of the old pairs
// must not count against the stock, and runs with the killed node must end when it stops answering.
import { jest } from '@jest/globals';
import { JsonRpcProvider } from '@near-js/providers';
import { sha256 } from '@noble/hashes/sha2.js';
import { utf8ToBytes } from '@noble/hashes/utils.js';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startSigningNetwork, sumSamples, type SigningNetwork } from '../../../services/devnet/network/signing-network.js';
import { verifySignRecord, type SignRecord } from '../../../services/devnet/demo/sign-client.js';
import { localAwsFromEnvironment } from '../../support/local-aws.js';
import { quietPowertools } from '../devnet-network/support.js';

const NODES = 3;
const NEW_THRESHOLD = 3;
const BLOCK_TIME_MS = 250;

jest.setTimeout(10 * 60_000);

describe('a fourth operator joins the running network by resharing', () => {
  let signing: SigningNetwork;
  let restorePowertools: () => void;
  const logDirectory = mkdtempSync(join(tmpdir(), 'e2e-reshare-logs-'));
  let counter = 0;

  const sign = (lane: number, scheme: 'Secp256k1' | 'Ed25519'): Promise<SignRecord> => {
    const index = counter++;
    const client = signing.clients[lane % signing.clients.length]!;
    return scheme === 'Secp256k1'
      ? client.sign({ domainId: 0, scheme, path: `eth-${index}`, payload: sha256(utf8ToBytes(`tx ${index}`)) })
      : client.sign({ domainId: 1, scheme, path: `sol-${index}`, payload: utf8ToBytes(`solana tx ${index}`) });
  };

  /** Signing protocol runs node `index` finished, as leader or follower. */
  const signRunsOf = async (index: number): Promise<number> => {
    const text = await signing.nodeMetrics(index);
    if (text === null) throw new Error(`node ${index} did not answer /metrics`);
    return sumSamples(text, 'sign_runs_total', { outcome: 'ok' });
  };

  beforeAll(async () => {
    restorePowertools = quietPowertools();
    signing = await startSigningNetwork({
      nodes: NODES,
      joiningNodes: 1,
      blockTimeMs: BLOCK_TIME_MS,
      awsEndpoints: localAwsFromEnvironment(),
      resourcePrefix: `e2e-reshare-${randomUUID().slice(0, 8)}`,
      logDirectory,
      clientLanes: 4,
      nodeOverrides: { PRESIGNATURE_TARGET: '4', TRIPLE_TARGET: '8', TRIPLE_BATCH_SIZE: '8', SIGN_TAKEOVER_MS: '3000', LOG_LEVEL: 'info' },
    });
  });

  afterAll(async () => {
    await signing?.stop();
    restorePowertools?.();
    if (process.env.E2E_KEEP_LOGS === undefined) rmSync(logDirectory, { recursive: true, force: true });
    else process.stderr.write(`node logs kept in ${logDirectory}\n`);
  });

  it('reshares both keys to the newcomer, which then signs with the others, the root keys unchanged', async () => {
    const newcomer = signing.network.joining[0]!;
    expect(newcomer.index).toBe(NODES);
    const before = await Promise.all([sign(0, 'Secp256k1'), sign(1, 'Ed25519')]);
    for (const record of before) verifySignRecord(record);
    // Not a participant yet: its node waits for the contract to name it, and serves nothing.
    expect(await signing.nodeMetrics(NODES)).toBeNull();

    const { parameters, epochId } = await signing.admit([newcomer], NEW_THRESHOLD);
    expect(epochId).toBe(1);
    expect(parameters.participants.participants.map(([account]) => account)).toEqual([...signing.network.participants, newcomer].map((operator) => operator.accountId));

    // Every node, the newcomer included, takes up the new epoch (its /metrics says which one it serves).
    const deadline = Date.now() + 30_000;
    while ((await signing.sumMetric('node_serving_epoch')) !== 4 * epochId && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 250));
    expect(await signing.sumMetric('node_serving_epoch')).toBe(4 * epochId);

    // Only nodes 1, 2 and 3 are left: every signing set (threshold 3) includes the newcomer.
    await signing.nodes.killNode(0);
    const newcomerRunsBefore = await signRunsOf(NODES);
    const after = await Promise.all([sign(0, 'Secp256k1'), sign(1, 'Secp256k1'), sign(2, 'Ed25519'), sign(3, 'Ed25519')]);
    for (const record of after) verifySignRecord(record);
    expect((await signRunsOf(NODES)) - newcomerRunsBefore).toBeGreaterThanOrEqual(after.length);
    // The same root keys as before the resharing, so every derived key (address) stays the same.
    const provider = new JsonRpcProvider({ url: signing.network.rpcUrl });
    for (const record of before) {
      expect(await provider.callFunction(signing.network.contracts.mpcSigner, 'public_key', { domain_id: record.domain_id })).toBe(record.root_public_key);
    }
    expect(after.map((record) => record.root_public_key)).toEqual([before[0]!, before[0]!, before[1]!, before[1]!].map((record) => record.root_public_key));
  });

  it('stops every node gracefully, the newcomer included (exit code 0)', async () => {
    // Nothing a node runs may hold its stop to the process's 25-s limit (which exits 1): a lead waiting on
    // a peer that stops at the same moment is handed back after a grace period, and key-event and
    // stockpile runs end with the network.
    const codes = await Promise.all([1, 2, 3].map((index) => signing.nodes.stopNode(index)));
    expect(codes).toEqual([0, 0, 0]);
  });
});
