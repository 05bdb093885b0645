import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { cpuBetween, sampleDevnetCpu } from './process-cpu.js';

const onLinux = existsSync('/proc/self/stat');

describe('sampleDevnetCpu', () => {
  (onLinux ? it : it.skip)('counts a child under the component its command line names, from /proc', async () => {
    const before = sampleDevnetCpu()!;
    // Busy for ~400 ms of CPU, then idle until killed: it must still be alive when sampled.
    const child = spawn(process.execPath, ['-e', 'const end = Date.now() + 400; while (Date.now() < end); setTimeout(() => {}, 30_000);', 'lake-indexer/local-poller'], {
      stdio: 'ignore',
    });
    try {
      await new Promise((resolve) => setTimeout(resolve, 1_500));
      const used = cpuBetween(before, sampleDevnetCpu()!);
      // Node's start-up plus the loop; the tick is 10 ms and a loaded machine may give the loop less than its wall time.
      expect(used.get('indexers')).toBeGreaterThanOrEqual(150);
      expect(used.get('nodes')).toBe(0);
      expect(used.get('launcher')).toBeGreaterThanOrEqual(0);
    } finally {
      child.kill('SIGKILL');
    }
  });

  it('reports nothing where there is no /proc', () => {
    if (onLinux) expect(sampleDevnetCpu()?.get('launcher')).toBeGreaterThan(0);
    else expect(sampleDevnetCpu()).toBeUndefined();
  });
});
