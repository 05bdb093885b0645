import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';

/** Linux's range for ports it gives out by itself: to `listen(0)` and to the local end of outgoing connections. */
const EPHEMERAL_PORT_RANGE_FILE = '/proc/sys/net/ipv4/ip_local_port_range';
/** Below this sit well-known ports and the usual development servers' defaults. */
const LOWEST_CHOSEN_PORT = 10_000;
/** Fewer candidates than this below the ephemeral range, and the kernel's own choice is used instead. */
const MIN_CHOSEN_RANGE = 1_000;
const CHOSEN_PORT_ATTEMPTS = 50;

/** Listens on 127.0.0.1:`port` and closes again: the port bound (the kernel's choice for 0), or undefined if taken. */
function probePort(port: number): Promise<number | undefined> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', (error: NodeJS.ErrnoException) => (error.code === 'EADDRINUSE' || error.code === 'EACCES' ? resolve(undefined) : reject(error)));
    server.listen(port, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (address === null || typeof address === 'string' ? reject(new Error('could not read the bound port')) : resolve(address.port)));
    });
  });
}

/** Whether a server could listen on 127.0.0.1:`port` now. */
export async function isPortFree(port: number): Promise<boolean> {
  return (await probePort(port)) !== undefined;
}

/** The ports below the kernel's ephemeral range this module picks from, or undefined where that range is unknown or too low. */
export function portsBelowEphemeralRange(rangeFile = EPHEMERAL_PORT_RANGE_FILE): { readonly low: number; readonly high: number } | undefined {
  let firstEphemeral: number;
  try {
    firstEphemeral = Number(readFileSync(rangeFile, 'utf8').trim().split(/\s+/)[0]);
  } catch {
    return undefined;
  }
  if (!Number.isInteger(firstEphemeral) || firstEphemeral - LOWEST_CHOSEN_PORT < MIN_CHOSEN_RANGE) return undefined;
  return { low: LOWEST_CHOSEN_PORT, high: firstEphemeral - 1 };
}

/**
 * A TCP port free on 127.0.0.1 for a server that will listen on it later (another process, a JVM still
 * starting). Released before returning, so it is chosen below the kernel's ephemeral range where it can:
 * there no `listen(0)` and no outgoing connection is handed it in the meantime, and only another caller
 * picking the same random port could.
 */
export async function findFreePort(): Promise<number> {
  const range = portsBelowEphemeralRange();
  if (range !== undefined) {
    for (let attempt = 0; attempt < CHOSEN_PORT_ATTEMPTS; attempt += 1) {
      const candidate = range.low + Math.floor(Math.random() * (range.high - range.low + 1));
      if (await isPortFree(candidate)) return candidate;
    }
  }
  const port = await probePort(0);
  if (port === undefined) throw new Error('the kernel found no free port on 127.0.0.1');
  return port;
}

/** `count` distinct free ports (each found as {@link findFreePort} finds one), for servers that start later together. */
export async function findFreePorts(count: number): Promise<number[]> {
  const ports = new Set<number>();
  // A port is released once checked, so the next search may find it again: only new ones count.
  for (let searches = 0; ports.size < count; searches += 1) {
    if (searches >= count + CHOSEN_PORT_ATTEMPTS) throw new Error(`found only ${ports.size} of ${count} distinct free ports on 127.0.0.1`);
    ports.add(await findFreePort());
  }
  return [...ports];
}
