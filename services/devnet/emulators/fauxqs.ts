import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildApp } from 'fauxqs';
import { EmulatorStartError } from './errors.js';
import { spawnWatched } from './process.js';

export interface RunningFauxqs {
  /** One endpoint serves both SQS (JSON protocol) and S3 (path-style). */
  readonly endpoint: string;
  stop(): Promise<void>;
}

/**
 * Starts fauxqs (SQS + S3) in this process. `startFauxqs` always binds 0.0.0.0, so the app is built
 * and bound to 127.0.0.1 here instead; queue URLs then carry the 127.0.0.1 host the client used.
 */
export async function startFauxqsServer(port = 0): Promise<RunningFauxqs> {
  const app = buildApp({ logger: false });
  let address: string;
  try {
    address = await app.listen({ port, host: '127.0.0.1' });
  } catch (error) {
    throw new EmulatorStartError('fauxqs', `could not listen on 127.0.0.1:${port}`, { cause: error });
  }
  return { endpoint: address, stop: () => app.close() };
}

export interface FauxqsProcessOptions {
  /** Upper bound on its life, in case this process dies without stopping it. */
  readonly maxLifetimeSeconds?: number;
  readonly readyTimeoutMs?: number;
}

/** The line ./fauxqs-main.ts prints once it listens, followed by its endpoint. */
export const FAUXQS_READY_PREFIX = 'fauxqs listening on ';
const FAUXQS_ENTRY = join(resolve(fileURLToPath(new URL('.', import.meta.url))), 'fauxqs-main.ts');

/**
 * Starts fauxqs in its own process (./fauxqs-main.ts under a watchdog, as DynamoDB Local): every queue
 * and bucket request of the network is served there, so it does not compete with whatever runs in this
 * process (the devnet chain, its RPC, the Lake writer). Stopped by PID.
 */
export async function startFauxqsProcess(options: FauxqsProcessOptions = {}): Promise<RunningFauxqs> {
  const watched = spawnWatched('fauxqs', process.execPath, ['--import', 'tsx', FAUXQS_ENTRY], options.maxLifetimeSeconds);
  const readyTimeoutMs = options.readyTimeoutMs ?? 30_000;
  try {
    const endpoint = await new Promise<string>((resolveEndpoint, reject) => {
      const timer = setTimeout(() => reject(new EmulatorStartError('fauxqs', `not listening within ${readyTimeoutMs} ms: ${watched.output()}`)), readyTimeoutMs);
      watched.child.stdout!.on('data', () => {
        const line = watched.output().split('\n').find((candidate) => candidate.startsWith(FAUXQS_READY_PREFIX));
        if (line === undefined) return;
        clearTimeout(timer);
        resolveEndpoint(line.slice(FAUXQS_READY_PREFIX.length).trim());
      });
      watched.child.once('exit', (code) => {
        clearTimeout(timer);
        reject(new EmulatorStartError('fauxqs', `exited with code ${code} before listening: ${watched.output()}`));
      });
    });
    return { endpoint, stop: watched.stop };
  } catch (error) {
    await watched.stop();
    throw error;
  }
}
