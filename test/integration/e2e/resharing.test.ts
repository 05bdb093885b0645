// End to end on the devnet, once per signer contract — our TypeScript model and near/mpc's published
// 3.14.0 and 3.14.1 wasm — with real MPC node processes: the nodes register (mock attestations), the
// participants add a Secp256k1 and an Ed25519 domain, the nodes generate both keys by DKG; direct ECDSA,
// EdDSA and legacy-form ECDSA requests are answered and verified (ecrecover to the derived key; Node's
// crypto for Ed25519). A fourth operator then joins a running 2-of-3 network by resharing: its node runs
// from the start, registers, and waits until the contract names it; the four vote the new parameters (4
// participants, threshold 3, both domains to threshold 3), the nodes link to the newcomer on the mesh
// without a restart, reshare both keys, and the contract runs the new epoch with the same root keys. With
// an old participant killed, only signing sets that include the newcomer are left, and requests are
// still answered; with a second one killed, no set is, and a request times out with near/mpc's error.
// Finally the views the nodes and clients read (`state`, `public_key`, `derived_public_key`,
// `latest_key_version`) are compared across the three contracts, field for field, with the values that
// differ by construction (generated keys, identities, ports) replaced by what they are.
import { jest } from '@jest/globals';
import { JsonRpcProvider } from '@near-js/providers';
import { sha256 } from '@noble/hashes/sha2.js';
import { utf8ToBytes } from '@noble/hashes/utils.js';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { verifySignRecord, type SignRecord } from '../../../services/devnet/demo/sign-client.js';
import { startSigningNetwork, sumSamples, type SigningNetwork } from '../../../services/devnet/network/signing-network.js';
import { SIGNER_ERRORS, SIGNER_METHODS } from '../../../shared/near/signer-abi.js';
import { localAwsFromEnvironment } from '../../support/local-aws.js';
import { quietPowertools } from '../devnet-network/support.js';

const NODES = 3;
const NEW_THRESHOLD = 3;
const BLOCK_TIME_MS = 250;
/** 25 s at 250 ms blocks: far above a signature's latency, short enough for the timeout case. */
const YIELD_TIMEOUT_BLOCKS = 100;
const FIXTURES = fileURLToPath(new URL('../../../../shared/fixtures/near-mpc/', import.meta.url));

jest.setTimeout(10 * 60_000);

/** The views of one signer at one point of the scenario, normalised. */
type ViewSnapshot = Record<string, unknown>;
const snapshots = new Map<string, Map<string, ViewSnapshot>>();

describe.each([
  ['our TypeScript signer', undefined],
  ['near/mpc 3.14.0 (wasm)', 'signer-3_14_0.wasm'],
  ['near/mpc 3.14.1 (wasm)', 'signer-3_14_1.wasm'],
])('real nodes on %s: keys by DKG, signing, a fourth operator joins by resharing', (signerName, wasmFile) => {
  let signing: SigningNetwork;
  let restorePowertools: () => void;
  const logDirectory = mkdtempSync(join(tmpdir(), 'e2e-reshare-logs-'));
  const views = new Map<string, ViewSnapshot>();
  snapshots.set(signerName, views);
  let counter = 0;

  const sign = (lane: number, scheme: 'Secp256k1' | 'Ed25519', legacy = false): Promise<SignRecord> => {
    const index = counter++;
    const client = signing.clients[lane % signing.clients.length]!;
    return scheme === 'Secp256k1'
      ? client.sign({ domainId: 0, scheme, path: `eth-${index}`, payload: sha256(utf8ToBytes(`tx ${index}`)), legacy })
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
      yieldTimeoutBlocks: YIELD_TIMEOUT_BLOCKS,
      awsEndpoints: localAwsFromEnvironment(),
      resourcePrefix: `e2e-reshare-${randomUUID().slice(0, 8)}`,
      logDirectory,
      clientLanes: 4,
      ...(wasmFile === undefined ? {} : { signerWasm: new Uint8Array(readFileSync(`${FIXTURES}${wasmFile}`)) }),
      nodeOverrides: { PRESIGNATURE_TARGET: '4', TRIPLE_TARGET: '8', TRIPLE_BATCH_SIZE: '8', SIGN_TAKEOVER_MS: '3000', LOG_LEVEL: 'info' },
    });
  });

  afterAll(async () => {
    await signing?.stop();
    restorePowertools?.();
    if (process.env.E2E_KEEP_LOGS === undefined) rmSync(logDirectory, { recursive: true, force: true });
    else process.stderr.write(`node logs kept in ${logDirectory}\n`);
  });

  it('runs the signer it was given', () => {
    expect(signing.network.signerVersion).toBe(wasmFile === undefined ? '3.14.0-chainsig-model' : wasmFile.replace(/^signer-(\d+)_(\d+)_(\d+)\.wasm$/, '$1.$2.$3'));
  });

  it('answers ECDSA, EdDSA and legacy-form ECDSA requests with signatures verified under the derived keys', async () => {
    const records = await Promise.all([sign(0, 'Secp256k1'), sign(1, 'Ed25519'), sign(2, 'Secp256k1', true)]);
    for (const record of records) verifySignRecord(record);
    views.set('after key generation', await signerViews(signing, records));
  });

  it('reshares both keys to the newcomer, which then signs with the others, the root keys unchanged', async () => {
    const newcomer = signing.network.joining[0]!;
    expect(newcomer.index).toBe(NODES);
    const before = await Promise.all([sign(0, 'Secp256k1'), sign(1, 'Ed25519')]);
    for (const record of before) verifySignRecord(record);
    // Not a participant yet: its node is up and live (decision 0010), waits for the contract to name it,
    // says so on /readyz, and serves nothing.
    const waiting = await fetch(`http://127.0.0.1:${newcomer.httpPort}/readyz`);
    expect(waiting.status).toBe(503);
    expect(await waiting.json()).toEqual({ healthy: false, checks: [{ name: 'participant', ok: false, detail: `waiting to be a participant of ${signing.network.contracts.mpcSigner}` }] });
    expect((await fetch(`http://127.0.0.1:${newcomer.httpPort}/livez`)).status).toBe(200);
    expect(await signing.nodeMetrics(NODES)).not.toMatch(/^node_serving_epoch /m);

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
      expect(await provider.callFunction(signing.network.contracts.mpcSigner, SIGNER_METHODS.publicKey, { domain_id: record.domain_id })).toBe(record.root_public_key);
    }
    expect(after.map((record) => record.root_public_key)).toEqual([before[0]!, before[0]!, before[1]!, before[1]!].map((record) => record.root_public_key));
    views.set('after resharing', await signerViews(signing, before));
  });

  it('times a request out with near/mpc\'s error when no signing set is left', async () => {
    // Nodes 2 and 3 cannot make a set of three: nobody answers, the yield times out.
    await signing.nodes.killNode(1);
    await expect(sign(0, 'Secp256k1')).rejects.toThrow(SIGNER_ERRORS.requestTimedOut);
  });

  it('stops the remaining nodes gracefully, the newcomer included (exit code 0)', async () => {
    // Nothing a node runs may hold its stop to the process's 25-s limit (which exits 1): a lead waiting on
    // a peer that stopped is handed back after a grace period, and key-event and stockpile runs end with the network.
    const codes = await Promise.all([2, 3].map((index) => signing.nodes.stopNode(index)));
    expect(codes).toEqual([0, 0]);
  });
});

describe('the three signers, compared', () => {
  it('give the same views, field for field, once generated keys, identities and attempt ids are named instead of valued', () => {
    const [reference, ...others] = [...snapshots.entries()];
    expect(reference![1].size).toBe(2);
    // Not vacuous: the reference saw the fourth participant's mesh key and both domains at threshold 3.
    expect(reference![1].get('after resharing')).toMatchObject({
      state: { Running: { parameters: { threshold: 3, participants: { participants: expect.arrayContaining([['node3.devnet', 3, { url: '<mesh url of node3.devnet>', tls_public_key: '<mesh key of node3.devnet>' }]]) } } } },
      'public_key 0': '<root key of domain 0>',
    });
    for (const [name, views] of others) expect({ name, views: Object.fromEntries(views) }).toEqual({ name, views: Object.fromEntries(reference![1]) });
  });
});

/**
 * `state`, `public_key`, `derived_public_key` (for the records' requests) and `latest_key_version`,
 * with every value that differs between two networks by construction replaced by what it is: the
 * generated root and derived keys, the operators' mesh keys and URLs (random identities and ports),
 * and attempt ids (a DKG attempt aborted on a loaded machine is retried under the next id).
 */
async function signerViews(signing: SigningNetwork, records: readonly SignRecord[]): Promise<ViewSnapshot> {
  const provider = new JsonRpcProvider({ url: signing.network.rpcUrl });
  const view = (method: string, args: Record<string, unknown>) => provider.callFunction(signing.network.contracts.mpcSigner, method, args);
  const names = new Map<string, string>();
  for (const operator of [...signing.network.participants, ...signing.network.joining]) {
    names.set(operator.info.tls_public_key, `<mesh key of ${operator.accountId}>`);
    names.set(operator.info.url, `<mesh url of ${operator.accountId}>`);
  }
  const raw: ViewSnapshot = {
    state: await view(SIGNER_METHODS.state, {}),
    latest_key_version: [await view(SIGNER_METHODS.latestKeyVersion, {}), await view(SIGNER_METHODS.latestKeyVersion, { signature_scheme: 'Edwards25519' })],
  };
  for (const domainId of [0, 1]) {
    const root = (await view(SIGNER_METHODS.publicKey, { domain_id: domainId })) as string;
    names.set(root, `<root key of domain ${domainId}>`);
    raw[`public_key ${domainId}`] = root;
  }
  for (const record of records) {
    const derived = (await view(SIGNER_METHODS.derivedPublicKey, { path: record.path, predecessor: record.predecessor, domain_id: record.domain_id })) as string;
    names.set(derived, `<derived key of ${record.predecessor} / ${record.path}>`);
    raw[`derived_public_key ${record.domain_id} ${record.path}`] = derived;
  }
  return named(raw, names) as ViewSnapshot;
}

function named(value: unknown, names: ReadonlyMap<string, string>): unknown {
  if (typeof value === 'string') return names.get(value) ?? value;
  if (Array.isArray(value)) return value.map((item) => named(item, names));
  if (typeof value !== 'object' || value === null) return value;
  return Object.fromEntries(
    Object.entries(value).map(([key, item]) => {
      if (key === 'attempt') return [key, '<attempt id>'];
      // The Ed25519 key's point as bytes, beside its NEAR text form (named above).
      if (key === 'edwards_point') return [key, '<edwards point of the Ed25519 root key>'];
      return [key, named(item, names)];
    }),
  );
}
