// End to end on the devnet: three MPC node processes (threshold 2) generate both keys by DKG through
// the contract and answer real `sign` calls made with a @near-js client — directly and through FastAuth —
// while nodes are killed and restarted and under a burst of 200 requests. Signatures are checked with
// implementations other than the network's (ethers' ecrecover, noble, Node's Ed25519), single use of
// presignatures is checked from the nodes' own tables, and "answered once" from the nodes' metrics.
import { jest } from '@jest/globals';
import { DynamoDBClient, ScanCommand } from '@aws-sdk/client-dynamodb';
import { JsonRpcProvider } from '@near-js/providers';
import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex, utf8ToBytes } from '@noble/hashes/utils.js';
import { recoverAddress } from 'ethers';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { deriveSecp256k1PublicKey, deriveTweak } from '../../../shared/crypto/kdf.js';
import { ethereumAddress, formatNearPublicKey, parsePublicKey } from '../../../shared/near/keys.js';
import { parsePartition } from '../../../services/mpc-node/assets.js';
import { createLocalJwtIssuer } from '../../../services/devnet/network/jwt-issuer.js';
import { startSigningNetwork, sumSamples, type SigningNetwork } from '../../../services/devnet/network/signing-network.js';
import { verifySignRecord, type SignRecord } from '../../../services/devnet/demo/sign-client.js';
import { runCli } from '../../../services/cli/run-cli.js';
import { localAwsFromEnvironment } from '../../support/local-aws.js';
import { quietPowertools } from '../devnet-network/support.js';

const NODES = 3;
const BURST = 200;
/** One access key (nonce sequence) per request of the burst: every request is in flight at once. */
const LANES = BURST;
/**
 * 250 ms blocks: the contract's 200-block yield is then 50 s of wall time. At 100 ms it is 20 s, which a
 * 2-core machine running the whole test suite beside this test cannot promise for a burst of 200.
 */
const BLOCK_TIME_MS = 250;
const ONE_NEAR = 10n ** 24n;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

jest.setTimeout(10 * 60_000);

describe('the local signing network, end to end', () => {
  let signing: SigningNetwork;
  let restorePowertools: () => void;
  let dynamodb: DynamoDBClient;
  let provider: JsonRpcProvider;
  const logDirectory = mkdtempSync(join(tmpdir(), 'e2e-logs-'));
  let counter = 0;

  const ecdsa = (lane = 0): Promise<SignRecord> => {
    const index = counter++;
    return signing.clients[lane % signing.clients.length]!.sign({ domainId: 0, scheme: 'Secp256k1', path: `eth-${index}`, payload: sha256(utf8ToBytes(`tx ${index}`)) });
  };
  const eddsa = (lane = 0): Promise<SignRecord> => {
    const index = counter++;
    return signing.clients[lane % signing.clients.length]!.sign({ domainId: 1, scheme: 'Ed25519', path: `sol-${index}`, payload: utf8ToBytes(`solana tx ${index}`) });
  };

  /** Every presignature id each node still stores, by table item (partition, id). */
  async function storedPresignatures(): Promise<Map<number, Set<string>>> {
    const stored = new Map<number, Set<string>>();
    for (const [index, operator] of signing.network.resources.operators.entries()) {
      const items = new Set<string>();
      let startKey: Record<string, never> | undefined;
      do {
        const page = await dynamodb.send(new ScanCommand({ TableName: operator.nodeTables.presignatures, ProjectionExpression: 'pk, sk', ExclusiveStartKey: startKey, ConsistentRead: true }));
        for (const item of page.Items ?? []) items.add(`${item.pk!.S}|${item.sk!.S}`);
        startKey = page.LastEvaluatedKey as Record<string, never> | undefined;
      } while (startKey !== undefined);
      stored.set(index, items);
    }
    return stored;
  }

  /**
   * Invariant 2 from the stores: a follower's share of a presignature is gone only because its owner
   * named it in a sign run after taking its own; so no presignature may be missing at a follower while
   * its owner still holds it (that would mean the owner could spend it again).
   */
  async function expectNoPresignatureSpentTwice(): Promise<void> {
    const suspicious = (stored: Map<number, Set<string>>): string[] => {
      const found: string[] = [];
      for (const [owner, items] of stored) {
        for (const item of items) {
          const parsed = parsePartition(item.split('|')[0]!);
          if (parsed === null || parsed.owner !== owner) continue;
          for (const follower of parsed.participants) {
            if (follower !== owner && !stored.get(follower)!.has(item)) found.push(`${item} still at owner ${owner}, gone at ${follower}`);
          }
        }
      }
      return found;
    };
    // A presign run being stored right now can show the owner's share before a follower's: look again
    // after a moment; a share spent at a follower never comes back.
    const first = suspicious(await storedPresignatures());
    if (first.length === 0) return;
    await sleep(3_000);
    const second = new Set(suspicious(await storedPresignatures()));
    expect(first.filter((violation) => second.has(violation))).toEqual([]);
  }

  const metric = (name: string, labels: Record<string, string> = {}) => signing.sumMetric(name, labels);

  async function waitForStockpile(perNodeAndDomain: number, timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      const [ecdsaLevel, eddsaLevel] = await Promise.all([metric('stockpile_owned_assets', { kind: 'ecdsa' }), metric('stockpile_owned_assets', { kind: 'eddsa' })]);
      if (ecdsaLevel >= perNodeAndDomain * NODES && eddsaLevel >= perNodeAndDomain * NODES) return;
      await sleep(500);
    }
    throw new Error(`the stockpile did not reach ${perNodeAndDomain} presignatures per node and domain in ${timeoutMs} ms (logs: ${logDirectory})`);
  }

  beforeAll(async () => {
    restorePowertools = quietPowertools();
    signing = await startSigningNetwork({
      nodes: NODES,
      blockTimeMs: BLOCK_TIME_MS,
      awsEndpoints: localAwsFromEnvironment(),
      resourcePrefix: `e2e-${randomUUID().slice(0, 8)}`,
      logDirectory,
      clientLanes: LANES,
      nodeOverrides: { PRESIGNATURE_TARGET: '48', TRIPLE_TARGET: '96', TRIPLE_BATCH_SIZE: '16', SIGN_TAKEOVER_MS: '3000', LOG_LEVEL: 'info' },
    });
    const { region, dynamodb: endpoint } = signing.network.awsEndpoints;
    dynamodb = new DynamoDBClient({ region, endpoint, credentials: { accessKeyId: 'local', secretAccessKey: 'local' } });
    provider = new JsonRpcProvider({ url: signing.network.rpcUrl });
  });

  afterAll(async () => {
    await signing?.stop();
    dynamodb?.destroy();
    restorePowertools?.();
    // E2E_KEEP_LOGS=1 keeps the node logs for a look after a failure.
    if (process.env.E2E_KEEP_LOGS === undefined) rmSync(logDirectory, { recursive: true, force: true });
    else process.stderr.write(`node logs kept in ${logDirectory}\n`);
  });

  it('answers an ECDSA request with a signature that ecrecovers to the derived key', async () => {
    const record = await ecdsa();
    verifySignRecord(record);
    // The derived key the contract reports is the one `chainsig derive` computes from the root key.
    const root = parsePublicKey(record.root_public_key, 'secp256k1');
    if (root.curve !== 'secp256k1') throw new Error('domain 0 must have a secp256k1 key');
    const derived = deriveSecp256k1PublicKey(root.point, deriveTweak(record.predecessor, record.path));
    expect(formatNearPublicKey({ curve: 'secp256k1', point: derived })).toBe(record.derived_public_key);
    const response = record.response as { scheme: string; big_r: { affine_point: string }; s: { scalar: string }; recovery_id: number };
    expect(response.scheme).toBe('Secp256k1');
    const r = response.big_r.affine_point.slice(2);
    const address = recoverAddress(`0x${record.payload_hex}`, { r: `0x${r}`, s: `0x${response.s.scalar}`, v: 27 + response.recovery_id });
    expect(address).toBe(ethereumAddress(derived));
  });

  it('answers an EdDSA request with a signature Node verifies under the derived key', async () => {
    const record = await eddsa();
    expect((record.response as { scheme: string }).scheme).toBe('Ed25519');
    verifySignRecord(record);
  });

  it('answers `chainsig sign` against the devnet RPC, as npm start --keep-running offers it', async () => {
    const { network } = signing;
    const payload = bytesToHex(sha256(utf8ToBytes('signed from the command line')));
    const { code, stdout, stderr } = await runCli(
      'sign', '--rpc', network.rpcUrl, '--contract', network.contracts.mpcSigner, '--account', network.demoUser.accountId,
      '--secret-key', network.demoUser.keyPair.toString(), '--domain', '0', '--path', 'cli', '--payload', payload, '--json',
    );
    expect({ code, stderr }).toEqual({ code: 0, stderr: '' });
    const record = JSON.parse(stdout.trim()) as SignRecord;
    expect(record).toMatchObject({ domain_id: 0, predecessor: network.demoUser.accountId, path: 'cli', payload_hex: payload });
    verifySignRecord(record);
  });

  it('signs a FastAuth request with a valid JWT, and refuses and refunds one with a forged JWT', async () => {
    const { network } = signing;
    const sub = 'google-oauth2|e2e';
    const signPayload = utf8ToBytes('borsh(SignedDelegate e2e)');
    const record = await signing.clients[0]!.signWithFastAuth({
      fastAuthContractId: network.contracts.fastAuth,
      guardId: network.fastAuthGuardId,
      token: await network.mintJwt({ sub, signPayload }),
      sub,
      signPayload,
      algorithm: 'ecdsa',
      domainId: 0,
    });
    expect(record).toMatchObject({ predecessor: network.contracts.fastAuth, path: `${network.fastAuthGuardId}#${sub}`, payload_hex: bytesToHex(sha256(signPayload)) });
    verifySignRecord(record);

    const forger = await createLocalJwtIssuer(network.jwtIssuer, network.contracts.auth0Guard);
    const forged = await forger.mint({ sub, signPayload });
    const balance = async () => BigInt((await provider.viewAccount(network.demoUser.accountId)).amount);
    const before = await balance();
    await expect(
      signing.clients[0]!.signWithFastAuth({ fastAuthContractId: network.contracts.fastAuth, guardId: network.fastAuthGuardId, token: forged, sub, signPayload, algorithm: 'ecdsa', domainId: 0 }),
    ).rejects.toThrow(/SignFailed/);
    const spent = before - (await balance());
    expect(spent).toBeGreaterThan(0n);
    expect(spent).toBeLessThan(ONE_NEAR / 100n);
  });

  it('keeps signing with one of three nodes killed, and a restarted node rejoins with its shares', async () => {
    await signing.nodes.killNode(2);
    const whileDown = await Promise.all([0, 1, 2, 3, 4, 5].map((lane) => (lane % 2 === 0 ? ecdsa(lane) : eddsa(lane))));
    for (const record of whileDown) verifySignRecord(record);

    signing.nodes.startNode(2);
    // Back with its shares: it serves epoch 0 with every domain's key share loaded from its store, and it
    // counts the presignatures it stored before it was killed (issue 21: before, a restarted node did not
    // see them and made new ones) — an owned presignature is only usable with the node's key share.
    const rejoined = async () => {
      const text = await signing.nodeMetrics(2);
      if (text === null) return false;
      const ownedPresignatures = sumSamples(text, 'stockpile_owned_assets', { kind: 'ecdsa' }) + sumSamples(text, 'stockpile_owned_assets', { kind: 'eddsa' });
      return sumSamples(text, 'node_serving_epoch', {}) === 0 && sumSamples(text, 'serving_keys_missing', {}) === 0 && sumSamples(text, 'node_domains', { state: 'served' }) === 2 && ownedPresignatures > 0;
    };
    const deadline = Date.now() + 120_000;
    while (!(await rejoined()) && Date.now() < deadline) await sleep(500);
    expect(await rejoined()).toBe(true);
    const answeredBefore = async () => signing.sumMetric('sign_runs_total', { outcome: 'ok' });
    const runsBefore = await answeredBefore();
    const afterRestart = await Promise.all([0, 1, 2, 3, 4, 5].map((lane) => (lane % 2 === 0 ? ecdsa(lane) : eddsa(lane))));
    for (const record of afterRestart) verifySignRecord(record);
    expect(await answeredBefore()).toBeGreaterThan(runsBefore);
    await expectNoPresignatureSpentTwice();
  });

  it(`answers a burst of ${BURST} requests completely, each once and with one signature, with no presignature used twice`, async () => {
    await waitForStockpile(45, 5 * 60_000);
    const answeredBefore = await metric('sign_requests_finished_total', { outcome: 'answered' });
    const leaderRunsBefore = await metric('sign_runs_total', { role: 'leader', outcome: 'ok' });
    const records = await Promise.allSettled(Array.from({ length: BURST }, (_, i) => (i % 2 === 0 ? ecdsa(i) : eddsa(i))));
    const failures = records.flatMap((result) => (result.status === 'rejected' ? [String(result.reason)] : []));
    expect(failures).toEqual([]);
    for (const result of records) if (result.status === 'fulfilled') verifySignRecord(result.value);
    // Each request answered by exactly one node: one respond landed per request, no duplicate response.
    expect((await metric('sign_requests_finished_total', { outcome: 'answered' })) - answeredBefore).toBe(BURST);
    // One signature per request: a node takes part in one run of a request at a time and a leader that
    // signed answers again with its own signature (signing-commitments.ts). Any two signing sets share a
    // node, so a second leader's run of a request is refused and never finishes. Before the commitments,
    // lead claims alone left 0–9 second signatures per burst (149–203 before the claims).
    const extraLeaderRuns = (await metric('sign_runs_total', { role: 'leader', outcome: 'ok' })) - leaderRunsBefore - BURST;
    const refusedSecondRuns = await metric('sign_second_runs_refused_total');
    process.stderr.write(`burst of ${BURST}: ${extraLeaderRuns} extra leader signing runs, ${refusedSecondRuns} second runs refused so far\n`);
    expect(extraLeaderRuns).toBe(0);
    await expectNoPresignatureSpentTwice();
  });
});
