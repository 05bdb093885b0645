import { spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { DynamoDBClient, ListTablesCommand } from '@aws-sdk/client-dynamodb';
import { startDynamoDbLocal } from '../../../services/devnet/emulators/dynamodb-local.js';
import { findFreePort } from '../../../services/devnet/emulators/free-port.js';

const launcher = resolve('services/devnet/emulators/dynamodb-local.ts');

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function waitUntil(condition: () => boolean, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (condition()) return true;
    await new Promise((r) => setTimeout(r, 100));
  }
  return condition();
}

describe('emulator lifecycle', () => {
  it('DynamoDB Local does not outlive a process that dies without cleaning up', async () => {
    const script = join(mkdtempSync(join(tmpdir(), 'chainsig-')), 'start-and-hang.mts');
    writeFileSync(
      script,
      `import { startDynamoDbLocal } from ${JSON.stringify(launcher)};\n` +
        `const db = await startDynamoDbLocal();\nprocess.stdout.write(JSON.stringify({ pid: db.pid }) + '\\n');\nsetInterval(() => {}, 1000);\n`,
    );
    const child = spawn(process.execPath, ['--import', 'tsx', script], { stdio: ['ignore', 'pipe', 'inherit'] });
    // The temp file lies outside this ESM package, hence `.mts`; an early exit fails the test at once.
    const firstOutput = once(child.stdout!, 'data') as Promise<[Buffer]>;
    const earlyExit = once(child, 'exit').then(([code]) => {
      throw new Error(`launcher exited with code ${String(code)} before DynamoDB Local was ready`);
    });
    const [firstLine] = await Promise.race([firstOutput, earlyExit]);
    const wrapperPid = (JSON.parse(firstLine.toString()) as { pid: number }).pid;
    const javaPids = spawnSync('pgrep', ['-P', String(wrapperPid)], { encoding: 'utf8' }).stdout.trim().split('\n').filter(Boolean).map(Number);
    expect(javaPids.length).toBeGreaterThan(0);

    child.kill('SIGKILL');
    const gone = await waitUntil(() => !isAlive(wrapperPid) && javaPids.every((pid) => !isAlive(pid)), 15_000);
    expect(gone).toBe(true);
  }, 45_000);

  // CI once pointed the network's tables at fauxqs: it bound port 0 and was given the port chosen for
  // DynamoDB Local before the JVM listened, and the old probe took fauxqs's answer for DynamoDB's.
  it('DynamoDB Local moves to another port when the chosen one is taken by another server first', async () => {
    const takenPort = await findFreePort();
    const otherServer = createServer((_request, response) => {
      response.statusCode = 400;
      response.end('Unknown action');
    });
    await new Promise<void>((listening) => otherServer.listen(takenPort, '127.0.0.1', listening));
    const chosen: number[] = [];
    const choosePort = async (): Promise<number> => {
      const port = chosen.length === 0 ? takenPort : await findFreePort();
      chosen.push(port);
      return port;
    };
    try {
      const db = await startDynamoDbLocal({ choosePort, maxLifetimeSeconds: 60 });
      try {
        expect(chosen).toHaveLength(2);
        expect(db.endpoint).toBe(`http://127.0.0.1:${chosen[1]}`);
        const tables = await new DynamoDBClient({ endpoint: db.endpoint, region: 'us-east-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' } }).send(
          new ListTablesCommand({}),
        );
        expect(tables.TableNames).toEqual([]);
      } finally {
        await db.stop();
      }
    } finally {
      otherServer.close();
    }
  }, 60_000);
});
