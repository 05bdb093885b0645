/**
 * fauxqs as a process of its own (see `startFauxqsProcess`): listens on a free 127.0.0.1 port, prints
 * `FAUXQS_READY_PREFIX` and its endpoint, and closes on SIGTERM or SIGINT.
 */
import { FAUXQS_READY_PREFIX, startFauxqsServer } from './fauxqs.js';

const server = await startFauxqsServer();
process.stdout.write(`${FAUXQS_READY_PREFIX}${server.endpoint}\n`);
for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  process.once(signal, () => {
    void server.stop().finally(() => process.exit(0));
  });
}
