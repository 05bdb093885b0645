import { HeadBucketCommand, ListObjectsV2Command, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { DevnetChain, defaultChainConfig } from '../chain/chain.js';
import { startLakeWriter } from './writer.js';

/** An S3 stand-in that records puts and fails the first `failures` of them. */
function recordingS3(failures: number, existingFolders: readonly string[] = []): { client: S3Client; puts: string[]; attempts: () => number } {
  const puts: string[] = [];
  let attempts = 0;
  const client = {
    send: async (command: unknown) => {
      if (command instanceof HeadBucketCommand) return {};
      if (command instanceof ListObjectsV2Command) return { CommonPrefixes: existingFolders.map((Prefix) => ({ Prefix })), IsTruncated: false };
      if (command instanceof PutObjectCommand) {
        attempts += 1;
        if (attempts <= failures) throw new Error('S3 is down');
        puts.push(command.input.Key!);
        return {};
      }
      throw new Error(`unexpected command ${String(command)}`);
    },
  } as unknown as S3Client;
  return { client, puts, attempts: () => attempts };
}

const openChain = (): DevnetChain => DevnetChain.open({ config: defaultChainConfig(), library: [], genesis: { accounts: [] } });

describe('Lake writer', () => {
  it('writes every block in order, shard files before block.json, retrying failed puts', async () => {
    const chain = openChain();
    for (let index = 0; index < 3; index += 1) chain.produceBlock();
    const s3 = recordingS3(2);
    const retries: number[] = [];
    const writer = await startLakeWriter({ chain, s3: s3.client, bucket: 'lake', onRetry: (_error, height) => retries.push(height) });
    chain.produceBlock();
    expect(await writer.waitForHeight(4, 10_000)).toBe(true);
    await writer.stop();
    expect(retries).toEqual([0, 0]);
    expect(s3.puts).toEqual([0, 1, 2, 3, 4].flatMap((height) => [`00000000000${height}/shard_0.json`, `00000000000${height}/block.json`]));
  });

  it('continues from the highest folder already in the bucket', async () => {
    const chain = openChain();
    for (let index = 0; index < 5; index += 1) chain.produceBlock();
    const s3 = recordingS3(0, ['000000000001/', '000000000003/']);
    const writer = await startLakeWriter({ chain, s3: s3.client, bucket: 'lake' });
    expect(await writer.waitForHeight(5, 10_000)).toBe(true);
    await writer.stop();
    expect(s3.puts[0]).toBe('000000000003/shard_0.json');
    expect(s3.puts.at(-1)).toBe('000000000005/block.json');
  });
});
