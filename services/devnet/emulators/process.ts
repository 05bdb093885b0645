import type { ChildProcess } from 'node:child_process';

/**
 * A bash wrapper that runs "$@" and ends it when the watched parent process is gone or the lifetime
 * bound passes, so an emulator never outlives the test run or network that started it.
 */
export function watchdogScript(parentPid: number, maxLifetimeSeconds?: number): string {
  const deadline = maxLifetimeSeconds === undefined ? '' : `[ $SECONDS -lt ${Math.ceil(maxLifetimeSeconds)} ] &&`;
  return [
    '"$@" & child=$!',
    'trap \'kill -TERM $child 2>/dev/null; wait $child; exit 0\' TERM INT HUP',
    `while ${deadline} kill -0 ${parentPid} 2>/dev/null && kill -0 $child 2>/dev/null; do sleep 0.5; done`,
    'kill -TERM $child 2>/dev/null; wait $child',
  ].join('\n');
}

/** Sends SIGTERM to a detached child's process group, then SIGKILL if it has not exited in time. */
export async function stopProcessTree(child: ChildProcess, graceMs = 5000): Promise<void> {
  if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const signalGroup = (signal: NodeJS.Signals): void => {
    try {
      process.kill(-child.pid!, signal);
    } catch {
      // already gone
    }
  };
  signalGroup('SIGTERM');
  const timer = new Promise<'timeout'>((resolve) => setTimeout(() => resolve('timeout'), graceMs).unref());
  if ((await Promise.race([exited, timer])) === 'timeout') {
    signalGroup('SIGKILL');
    await exited;
  }
}
