import { spawn, type ChildProcess } from 'node:child_process';
import { EmulatorStartError } from './errors.js';

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

/** An emulator process under {@link watchdogScript}, in its own process group. */
export interface WatchedProcess {
  readonly child: ChildProcess;
  readonly pid: number;
  /** The last few thousand characters it wrote (stdout and stderr), for start errors. */
  output(): string;
  /** SIGTERM to its process group, SIGKILL if it lingers ({@link stopProcessTree}). */
  stop(): Promise<void>;
}

const KEPT_OUTPUT_CHARS = 4000;

/** Spawns `command args` under the watchdog, so it ends with this process or after `maxLifetimeSeconds`. */
export function spawnWatched(emulator: EmulatorStartError['emulator'], command: string, args: readonly string[], maxLifetimeSeconds?: number): WatchedProcess {
  const child = spawn('bash', ['-c', watchdogScript(process.pid, maxLifetimeSeconds), emulator, command, ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  if (child.pid === undefined) throw new EmulatorStartError(emulator, 'could not spawn bash');
  let kept = '';
  const keep = (chunk: Buffer): void => {
    kept = (kept + chunk.toString()).slice(-KEPT_OUTPUT_CHARS);
  };
  child.stdout!.on('data', keep);
  child.stderr!.on('data', keep);
  return { child, pid: child.pid, output: () => kept.trim(), stop: () => stopProcessTree(child) };
}
