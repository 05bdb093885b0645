/** Shared by the launcher's tests: a port probe and quiet Powertools for the indexer the network runs. */
import { connect } from 'node:net';

/** True when nothing accepts connections on 127.0.0.1:`port`. */
export function connectionRefused(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(false);
    });
    socket.once('error', (error: NodeJS.ErrnoException) => resolve(error.code === 'ECONNREFUSED'));
  });
}

const QUIET_POWERTOOLS = { POWERTOOLS_METRICS_DISABLED: 'true', POWERTOOLS_LOG_LEVEL: 'SILENT' };

/** Keeps the indexer's EMF metrics and JSON logs out of the test output; returns the undo. */
export function quietPowertools(): () => void {
  Object.assign(process.env, QUIET_POWERTOOLS);
  return () => {
    for (const name of Object.keys(QUIET_POWERTOOLS)) delete process.env[name];
  };
}
