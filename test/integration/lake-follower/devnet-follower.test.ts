// The public-lake follower end to end on the devnet: the chain's Lake writer fills a stand-in "public" bucket,
// the follower (services/lake-follower/main.ts, its own process: the devnet's stand-in for the Lambda
// schedule, here a run every half second for 1.5 s each, taking turns through the lease table in DynamoDB
// Local) copies the signer's shard of active blocks, with the block's header as metadata, into the operators'
// lake bucket, the S3-event bridge notifies, the indexers enqueue and three
// MPC node processes answer real sign requests. The follower is killed (SIGKILL) mid-stream and restarted:
// the operators' bucket must then hold exactly the active blocks' objects, each put once.
import { jest } from '@jest/globals';
import { build } from 'esbuild';
import { projectLambdaProps } from '../../../cdk/lib/project-lambda.js';
import { CreateTableCommand, DeleteTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { GetObjectCommand, HeadObjectCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { sha256 } from '@noble/hashes/sha2.js';
import { utf8ToBytes } from '@noble/hashes/utils.js';
import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { verifySignRecord, type SignRecord } from '../../../services/devnet/demo/sign-client.js';
import { localAwsEnvironment } from '../../../services/devnet/emulators/index.js';
import { startSigningNetwork, type SigningNetwork } from '../../../services/devnet/network/signing-network.js';
import { decodeCheckpoint, type Checkpoint } from '../../../services/lake-follower/checkpoint.js';
import { followerLeaseTableDefinition } from '../../../services/lake-follower/dynamodb-lease.js';
import { FollowerMetric } from '../../../services/lake-follower/metrics.js';
import { localAwsFromEnvironment } from '../../support/local-aws.js';
import { quietPowertools } from '../devnet-network/support.js';

const PROJECT_ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const FOLLOWER_ENTRY = join(PROJECT_ROOT, 'services/lake-follower/main.ts');

/**
 * The follower bundled with the Lambda functions' esbuild settings (cdk/lib/project-lambda.ts: minified ESM,
 * everything inlined), so its memory is the function's; for the Node running this test, not the Lambda's.
 */
async function bundleFollower(directory: string): Promise<string> {
  const outfile = join(directory, 'lake-follower.mjs');
  const { bundling } = projectLambdaProps(FOLLOWER_ENTRY);
  await build({
    entryPoints: [FOLLOWER_ENTRY],
    bundle: true,
    platform: 'node',
    target: `node${process.versions.node.split('.')[0]}`,
    format: 'esm',
    mainFields: bundling!.mainFields!,
    minify: bundling!.minify!,
    banner: { js: bundling!.banner! },
    outfile,
    logLevel: 'warning',
  });
  return outfile;
}
const CHECKPOINT_KEY = 'lake-follower/checkpoint';
/** 200 blocks of yield are 40 s: room for a follower restart in the middle of a request's life. */
const BLOCK_TIME_MS = 200;
const BLOCK_FOLDER = /^(\d{12})\//;
/** Client lanes (one access key each): 0–1 for the answered requests, the rest for requests in flight at the kill. */
const LANES = 8;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

jest.setTimeout(5 * 60_000);

interface FollowerRun {
  readonly child: ChildProcess;
  readonly logFile: string;
  readonly exited: Promise<number | null>;
}

/** The follower's JSON log lines: Powertools log records and EMF metric documents. */
function logRecords(run: FollowerRun): Record<string, unknown>[] {
  return readFileSync(run.logFile, 'utf8')
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}
const copiedKeys = (run: FollowerRun): string[] => logRecords(run).filter((record) => record.message === 'object copied').map((record) => record.key as string);
const metricTotal = (run: FollowerRun, name: string): number =>
  logRecords(run)
    .filter((record) => record._aws !== undefined && typeof record[name] === 'number')
    .reduce((total, record) => total + (record[name] as number), 0);

describe('public-lake follower on the devnet', () => {
  let signing: SigningNetwork;
  let restorePowertools: () => void;
  let s3: S3Client;
  let dynamodb: DynamoDBClient;
  let followerBundle: string;
  const logDirectory = mkdtempSync(join(tmpdir(), 'lake-follower-'));
  const prefix = `lf-${randomUUID().slice(0, 8)}`;
  const publicLakeBucket = `${prefix}-public-lake`;
  const leaseTable = `${prefix}-follower-lease`;
  const runs: FollowerRun[] = [];
  let counter = 0;

  function startFollower(): FollowerRun {
    const network = signing.network;
    const logFile = join(logDirectory, `follower${runs.length}.log`);
    const log = openSync(logFile, 'a');
    let child: ChildProcess;
    try {
      child = spawn(process.execPath, [followerBundle], {
        cwd: PROJECT_ROOT,
        env: {
          ...process.env,
          ...localAwsEnvironment(network.awsEndpoints),
          PUBLIC_LAKE_BUCKET: publicLakeBucket,
          LAKE_BUCKET: network.resources.bucket,
          MPC_CONTRACT_ID: network.contracts.mpcSigner,
          NEAR_RPC_URL: network.rpcUrl,
          // Without a checkpoint: from genesis, so the key set below covers the whole chain.
          START_HEIGHT: '0',
          CHECKPOINT_KEY,
          POLL_INTERVAL_MS: '50',
          LIST_AFTER_MS: '1000',
          CHECKPOINT_INTERVAL_MS: '2000',
          METRICS_INTERVAL_MS: '1000',
          RETRY_BASE_MS: '100',
          RETRY_MAX_MS: '2000',
          // Runs of 1.5 s started every 0.5 s (Lambda: 15 min, every minute), so the test sees hand-overs.
          LEASE_TABLE: leaseTable,
          SCHEDULE_INTERVAL_MS: '500',
          RUN_MS: '1500',
          MIN_RUN_MS: '300',
          LEASE_MS: '1000',
          LEASE_RENEW_MS: '200',
          HANDOVER_WINDOW_MS: '1200',
          POWERTOOLS_LOG_LEVEL: 'INFO',
          POWERTOOLS_METRICS_DISABLED: 'false',
          LAKE_FOLLOWER_EXIT_WITH_PARENT: '1',
        },
        stdio: ['ignore', log, log, 'ipc'],
      });
    } finally {
      closeSync(log);
    }
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    const run = { child, logFile, exited };
    runs.push(run);
    return run;
  }

  async function readCheckpoint(): Promise<Checkpoint | null> {
    try {
      const object = await s3.send(new GetObjectCommand({ Bucket: signing.network.resources.bucket, Key: CHECKPOINT_KEY }));
      return decodeCheckpoint(await object.Body!.transformToString());
    } catch (error) {
      if ((error as Error).name === 'NoSuchKey') return null;
      throw error;
    }
  }

  async function operatorKeys(): Promise<string[]> {
    const keys: string[] = [];
    let continuationToken: string | undefined;
    do {
      const page = await s3.send(new ListObjectsV2Command({ Bucket: signing.network.resources.bucket, ContinuationToken: continuationToken }));
      keys.push(...(page.Contents ?? []).map((object) => object.Key!));
      continuationToken = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (continuationToken !== undefined);
    return keys;
  }

  /** Polls `probe` until it returns a value; bounded. */
  async function waitFor<T>(what: string, probe: () => Promise<T | undefined> | T | undefined, timeoutMs = 60_000): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const value = await probe();
      if (value !== undefined) return value;
      if (Date.now() > deadline) throw new Error(`gave up waiting for ${what} (logs in ${logDirectory})`);
      await sleep(100);
    }
  }

  const sign = (lane: number, scheme: 'Secp256k1' | 'Ed25519'): Promise<SignRecord> => {
    const index = counter++;
    const client = signing.clients[lane % signing.clients.length]!;
    return scheme === 'Secp256k1'
      ? client.sign({ domainId: 0, scheme, path: `eth-${index}`, payload: sha256(utf8ToBytes(`tx ${index}`)) })
      : client.sign({ domainId: 1, scheme, path: `sol-${index}`, payload: utf8ToBytes(`solana tx ${index}`) });
  };

  beforeAll(async () => {
    restorePowertools = quietPowertools();
    const aws = localAwsFromEnvironment();
    s3 = new S3Client({ region: aws.region, endpoint: aws.s3, forcePathStyle: true, credentials: { accessKeyId: 'local', secretAccessKey: 'local' } });
    dynamodb = new DynamoDBClient({ region: aws.region, endpoint: aws.dynamodb, credentials: { accessKeyId: 'local', secretAccessKey: 'local' } });
    await dynamodb.send(new CreateTableCommand(followerLeaseTableDefinition(leaseTable)));
    followerBundle = await bundleFollower(logDirectory);
    signing = await startSigningNetwork({
      nodes: 3,
      blockTimeMs: BLOCK_TIME_MS,
      awsEndpoints: aws,
      resourcePrefix: prefix,
      publicLakeBucket,
      logDirectory,
      clientLanes: LANES,
      nodeOverrides: { PRESIGNATURE_TARGET: '4', TRIPLE_TARGET: '8', TRIPLE_BATCH_SIZE: '8', SIGN_TAKEOVER_MS: '3000', LOG_LEVEL: 'info' },
    });
    startFollower();
  });

  afterAll(async () => {
    for (const run of runs) if (run.child.exitCode === null && run.child.signalCode === null) run.child.kill('SIGKILL');
    await Promise.all(runs.map((run) => run.exited));
    await signing?.stop();
    await dynamodb?.send(new DeleteTableCommand({ TableName: leaseTable }));
    dynamodb?.destroy();
    s3?.destroy();
    restorePowertools?.();
    if (process.env.E2E_KEEP_LOGS === undefined) rmSync(logDirectory, { recursive: true, force: true });
    else process.stderr.write(`logs kept in ${logDirectory}\n`);
  });

  it('answers sign requests through the follower, survives a kill mid-stream, and copies each active block once', async () => {
    const chain = signing.network.devnet.chain;
    const signer = signing.network.contracts.mpcSigner;
    const [first] = runs as [FollowerRun];
    const signingFrom = chain.head().header.height;

    // Requests answered: the blocks that carry them reach the indexers only through the follower.
    for (const record of await Promise.all([sign(0, 'Secp256k1'), sign(1, 'Ed25519')])) verifySignRecord(record);

    // Mid-stream: requests in flight, the follower has copied objects above its last checkpoint — then it dies.
    // Only a request's own block is copied, and a checkpoint written in the step that copied it leaves
    // nothing above it; so while nothing is, one more request is sent each second, on a lane of its own.
    const inFlight = [sign(2, 'Secp256k1'), sign(3, 'Ed25519')];
    let lastSentAt = Date.now();
    const killedAfter = await waitFor('a hand-over, then an object copied above the checkpoint', async () => {
      const holds = logRecords(first).filter((record) => record.message === 'follower run holds the lease').length;
      if (holds < 2) return undefined;
      const checkpoint = await readCheckpoint();
      const above = checkpoint === null ? [] : copiedKeys(first).filter((key) => Number(BLOCK_FOLDER.exec(key)![1]) > checkpoint.height);
      if (above.length > 0) return checkpoint!;
      // Lanes 2 and 3 carry the first two; 4 to 7 the extra ones.
      if (inFlight.length < LANES - 2 && Date.now() - lastSentAt > 1_000) {
        inFlight.push(sign(inFlight.length + 2, inFlight.length % 2 === 0 ? 'Secp256k1' : 'Ed25519'));
        lastSentAt = Date.now();
      }
      return undefined;
    });
    first.child.kill('SIGKILL');
    expect(await first.exited).toBeNull();
    // Blocks keep coming while no follower runs.
    await sleep(1_500);
    const second = startFollower();
    for (const record of await Promise.all(inFlight)) verifySignRecord(record);
    verifySignRecord(await sign(0, 'Secp256k1'));

    // Resumed from the checkpoint the first run left (not from START_HEIGHT), finding its later objects in the bucket.
    const resumed = await waitFor('the restart to resume', () => logRecords(second).find((record) => record.message === 'resuming after the checkpointed block'));
    expect(resumed).toMatchObject({ height: killedAfter.height, hash: killedAfter.hash });

    // Runs took turns through the lease: in each process a run that followed stopped before the next began
    // (the killed process's last run never stopped), and hand-overs happened in both processes' lifetimes.
    const turns = runs.map((run) =>
      logRecords(run)
        .filter((record) => record.message === 'follower run holds the lease' || record.message === 'run stopped')
        .map((record) => (record.message === 'run stopped' ? 'stopped' : 'holds')),
    );
    for (const sequence of turns) {
      expect(sequence[0]).toBe('holds');
      expect(sequence.filter((turn, index) => index > 0 && turn === sequence[index - 1])).toEqual([]);
    }
    const runsThatFollowed = turns.flat().filter((turn) => turn === 'holds').length;
    expect(runsThatFollowed).toBeGreaterThanOrEqual(3);

    // Stop gracefully: the last checkpoint names the last block handled.
    second.child.kill('SIGTERM');
    expect(await second.exited).toBe(0);
    const usage = logRecords(second).find((record) => record.message === 'schedule stopped')!;
    expect(usage.invocations as number).toBeGreaterThan(0);
    const final = (await readCheckpoint())!;
    expect(final.height).toBeGreaterThan(killedAfter.height);
    expect(final.hash).toBe(chain.blockAt(final.height)!.header.hash);

    // Exactly the blocks where the signer executed receipts other than answers (respond, the yield
    // callback), from genesis to the last block handled; blocks with answers only are not copied.
    const answerMethods = new Set(['respond', 'return_signature_and_clean_state_on_success', 'fail_on_timeout']);
    const isAnswer = (actions: readonly { readonly type: string; readonly methodName?: string }[]) =>
      actions.length > 0 && actions.every((action) => action.type === 'FunctionCall' && answerMethods.has(action.methodName!));
    const activeHeights: number[] = [];
    let answerOnlyBlocks = 0;
    for (let height = 0; height <= final.height; height += 1) {
      const block = chain.blockAt(height);
      if (block === undefined) throw new Error(`the devnet chain no longer has block ${height}`);
      const ofSigner = block.receiptOutcomes.filter(({ outcome }) => outcome.executorId === signer);
      if (ofSigner.some(({ receipt }) => !isAnswer(receipt.actions))) activeHeights.push(height);
      else if (ofSigner.length > 0) answerOnlyBlocks += 1;
    }
    // The requests were answered, so there were answer-only blocks to leave out.
    expect(answerOnlyBlocks).toBeGreaterThan(0);
    const folderOf = (height: number) => String(height).padStart(12, '0');
    const expectedKeys = activeHeights.map((height) => `${folderOf(height)}/shard_0.json`).sort();
    const lakeKeys = (await operatorKeys()).filter((key) => BLOCK_FOLDER.test(key) && Number(BLOCK_FOLDER.exec(key)![1]) <= final.height).sort();
    expect(lakeKeys).toEqual(expectedKeys);
    // Each carries the header fields of its block that the indexer reads, instead of a block.json beside it.
    for (const height of activeHeights) {
      const { header } = chain.blockAt(height)!;
      const { Metadata } = await s3.send(new HeadObjectCommand({ Bucket: signing.network.resources.bucket, Key: `${folderOf(height)}/shard_0.json` }));
      expect(Metadata).toEqual({
        'near-block-height': String(height),
        'near-block-hash': header.hash,
        'near-block-timestamp-nanosec': header.timestampNs.toString(),
        'near-block-random-value': header.randomValue,
      });
    }

    // No duplicate: across both runs each object was put once, and together they put every one of them.
    const copied = [...copiedKeys(first), ...copiedKeys(second)].filter((key) => Number(BLOCK_FOLDER.exec(key)![1]) <= final.height);
    expect(copied.length).toBe(new Set(copied).size);
    expect([...copied].sort()).toEqual(expectedKeys);
    // The replay covered objects the first run had put after its checkpoint, and put none of them again.
    expect(resumed.objectsAbove as number).toBeGreaterThan(0);
    expect(metricTotal(second, FollowerMetric.ObjectsAlreadyPresent)).toBe(resumed.objectsAbove);

    const total = (name: string) => runs.reduce((sum, run) => sum + metricTotal(run, name), 0);
    const blocksRead = total(FollowerMetric.BlocksRead);
    process.stderr.write(
      `lake follower measurements: blocks 0..${final.height} (${final.height + 1}), active ${activeHeights.length} ` +
        `(${activeHeights.filter((height) => height > signingFrom).length} of them in the ${final.height - signingFrom} blocks of the signing phase), answers only (not copied) ${answerOnlyBlocks}, objects put ${copied.length}, ` +
        `blocks read ${blocksRead} (replayed ${blocksRead - (final.height + 1)}), public GETs ${total(FollowerMetric.PublicLakeGets)}, LISTs ${total(FollowerMetric.PublicLakeLists)}, ` +
        `already present ${total(FollowerMetric.ObjectsAlreadyPresent)}, requests signed ${counter}, runs that held the lease ${runsThatFollowed}, ` +
        `restarted schedule process: peak RSS ${usage.peakRssMiB as number} MiB, CPU ${usage.cpuMs as number} ms for ${metricTotal(second, FollowerMetric.BlocksRead)} blocks\n`,
    );
  });
});
