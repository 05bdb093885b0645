import { buildApp } from 'fauxqs';
import { EmulatorStartError } from './errors.js';

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
