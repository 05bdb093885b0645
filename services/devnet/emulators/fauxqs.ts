import { spawn } from 'node:child_process';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildApp } from 'fauxqs';
import { EmulatorStartError } from './errors.js';
import { stopProcessTree, watchdogScript } from './process.js';

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
  const child = spawn('bash', ['-c', watchdogScript(process.pid, options.maxLifetimeSeconds), 'fauxqs', process.execPath, '--import', 'tsx', FAUXQS_ENTRY], {
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  if (child.pid === undefined) throw new EmulatorStartError('fauxqs', 'could not spawn bash');
  const stop = (): Promise<void> => stopProcessTree(child);
  let output = '';
  try {
    const endpoint = await new Promise<string>((resolveEndpoint, reject) => {
      const timer = setTimeout(() => reject(new EmulatorStartError('fauxqs', `not listening within ${options.readyTimeoutMs ?? 30_000} ms: ${output.trim()}`)), options.readyTimeoutMs ?? 30_000);
      const read = (chunk: Buffer): void => {
        output = (output + chunk.toString()).slice(-4000);
        const line = output.split('\n').find((candidate) => candidate.startsWith(FAUXQS_READY_PREFIX));
        if (line === undefined) return;
        clearTimeout(timer);
        resolveEndpoint(line.slice(FAUXQS_READY_PREFIX.length).trim());
      };
      child.stdout!.on('data', read);
      child.stderr!.on('data', read);
      child.once('exit', (code) => {
        clearTimeout(timer);
        reject(new EmulatorStartError('fauxqs', `exited with code ${code} before listening: ${output.trim()}`));
      });
    });
    return { endpoint, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}
