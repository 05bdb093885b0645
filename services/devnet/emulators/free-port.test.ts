import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { findFreePort, findFreePorts, portsBelowEphemeralRange } from './free-port.js';

function rangeFile(contents: string): string {
  const file = join(mkdtempSync(join(tmpdir(), 'free-port-')), 'ip_local_port_range');
  writeFileSync(file, contents);
  return file;
}

describe('findFreePort', () => {
  it('picks below the kernel ephemeral range when that range leaves room', () => {
    expect(portsBelowEphemeralRange(rangeFile('32768\t60999\n'))).toEqual({ low: 10_000, high: 32_767 });
    expect(portsBelowEphemeralRange(rangeFile('10500 60999'))).toBeUndefined();
    expect(portsBelowEphemeralRange(rangeFile('garbage'))).toBeUndefined();
    expect(portsBelowEphemeralRange(join(tmpdir(), 'no-such-dir-free-port', 'range'))).toBeUndefined();
  });

  it('returns ports that can be listened on, outside the range listen(0) draws from', async () => {
    const range = portsBelowEphemeralRange();
    for (let call = 0; call < 20; call += 1) {
      const port = await findFreePort();
      if (range !== undefined) expect(port >= range.low && port <= range.high).toBe(true);
      const server = createServer();
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(port, '127.0.0.1', resolve);
      });
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });

  it('finds distinct ports for servers that start together', async () => {
    const ports = await findFreePorts(12);
    expect(ports).toHaveLength(12);
    expect(new Set(ports).size).toBe(12);
  });
});
