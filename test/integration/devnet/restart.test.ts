// A devnet kept in a folder: stopping and starting it again resumes the chain (state, keys,
// nonces, history) and the Lake writer continues the bucket without a gap.
import { GetObjectCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { Account } from '@near-js/accounts';
import { JsonRpcProvider } from '@near-js/providers';
import { KeyPairSigner } from '@near-js/signers';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { lakeBlockFolder } from '../../../shared/near/lake-types.js';
import { startDevnetChain, type RunningDevnetChain, type StartDevnetChainOptions } from '../../../services/devnet/chain/index.js';
import { startLakeWriter, type RunningLakeWriter } from '../../../services/devnet/lake/index.js';
import { storeContract } from '../../../services/devnet/test-contracts/index.js';
import { localAwsFromEnvironment } from '../../support/local-aws.js';

const WAIT_MS = 30_000;

describe('devnet restart from its data folder', () => {
  const local = localAwsFromEnvironment();
  const s3 = new S3Client({ region: local.region, endpoint: local.s3, forcePathStyle: true });
  const bucket = `lake-restart-${randomUUID().slice(0, 8)}`;
  const dataDir = mkdtempSync(join(tmpdir(), 'devnet-restart-'));
  const options: StartDevnetChainOptions = { blockTimeMs: 20, dataDir, contracts: [{ accountId: 'store.devnet', definition: storeContract }] };
  const running: { devnet?: RunningDevnetChain; writer?: RunningLakeWriter } = {};

  async function start(): Promise<{ devnet: RunningDevnetChain; writer: RunningLakeWriter }> {
    running.devnet = await startDevnetChain(options);
    running.writer = await startLakeWriter({ chain: running.devnet.chain, s3, bucket });
    return { devnet: running.devnet, writer: running.writer };
  }

  async function stop(): Promise<void> {
    await running.devnet?.stop();
    await running.writer?.stop();
    running.devnet = undefined;
    running.writer = undefined;
  }

  afterAll(async () => {
    await stop();
    s3.destroy();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('resumes the chain and the Lake bucket', async () => {
    const first = await start();
    const { keyPair } = await first.devnet.createAccount('alice.devnet');
    const alice = (devnet: RunningDevnetChain): Account => new Account('alice.devnet', new JsonRpcProvider({ url: devnet.rpcUrl }), new KeyPairSigner(keyPair));
    await alice(first.devnet).callFunction({ contractId: 'store.devnet', methodName: 'set', args: { key: 'before', value: 'restart' } });
    const rootKey = first.devnet.rootAccount.secretKey;
    const stoppedAt = first.devnet.chain.head().header.height;
    expect(await first.writer.waitForHeight(stoppedAt - 2, WAIT_MS)).toBe(true);
    await stop();

    const second = await start();
    expect(second.devnet.rootAccount.secretKey).toBe(rootKey);
    const provider = new JsonRpcProvider({ url: second.devnet.rpcUrl });
    expect(await provider.callFunction('store.devnet', 'get', { key: 'before' })).toBe('restart');
    await alice(second.devnet).callFunction({ contractId: 'store.devnet', methodName: 'set', args: { key: 'after', value: 'restart' } });
    expect(await provider.callFunction('store.devnet', 'get', { key: 'after' })).toBe('restart');
    const head = (await provider.status()).sync_info.latest_block_height;
    expect(head).toBeGreaterThan(stoppedAt);
    expect(await second.writer.waitForHeight(head, WAIT_MS)).toBe(true);

    const folders: number[] = [];
    let token: string | undefined;
    do {
      const page = await s3.send(new ListObjectsV2Command({ Bucket: bucket, Delimiter: '/', ContinuationToken: token }));
      folders.push(...(page.CommonPrefixes ?? []).map((prefix) => Number.parseInt(prefix.Prefix!, 10)));
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token !== undefined);
    expect(folders.slice(0, head + 1)).toEqual(Array.from({ length: head + 1 }, (_, height) => height));
    const readBlock = async (height: number): Promise<{ header: { hash: string; prev_hash: string } }> =>
      JSON.parse(await (await s3.send(new GetObjectCommand({ Bucket: bucket, Key: `${lakeBlockFolder(height)}/block.json` }))).Body!.transformToString());
    expect((await readBlock(stoppedAt + 1)).header.prev_hash).toBe((await readBlock(stoppedAt)).header.hash);
  });
});
