/**
 * The devnet's MPC nodes as separate OS processes (`services/mpc-node/main.ts` through tsx), one per
 * participant, with the environment `nodeEnvironment(i)` gives, each logging to its own file. Stopped
 * by PID: SIGTERM (the node's graceful stop), then SIGKILL after a bound. Every child also has an IPC
 * channel to this process and stops when it closes, so a launcher that dies leaves no node behind.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, mkdirSync, type WriteStream } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const PROJECT_ROOT = resolve(fileURLToPath(new URL('.', import.meta.url)), '../../..');
const NODE_ENTRY = join(PROJECT_ROOT, 'services/mpc-node/main.ts');
const STOP_GRACE_MS = 30_000;

export interface NodeProcess {
  readonly index: number;
  readonly pid: number;
  readonly logFile: string;
  /** Resolves with the exit code (null when killed by a signal). */
  readonly exited: Promise<number | null>;
}

export interface NodeProcesses {
  /** The current process of each node (a restarted node has a new one). */
  readonly nodes: readonly (NodeProcess | undefined)[];
  /** Graceful stop of one node (SIGTERM, SIGKILL after the bound); resolves with its exit code. */
  stopNode(index: number): Promise<number | null>;
  /** Kills one node at once (SIGKILL): a crash, for fault tests. */
  killNode(index: number): Promise<void>;
  /** Starts node `index` again (after a stop or kill), with the same identity, tables and key file. */
  startNode(index: number): NodeProcess;
  stopAll(): Promise<void>;
}

export interface StartNodeProcessesOptions {
  readonly count: number;
  readonly environment: (index: number) => Record<string, string>;
  readonly logDirectory: string;
  /** Extra variables for every node (e.g. smaller stockpile targets in tests). */
  readonly overrides?: Record<string, string>;
  /** Called when a node exits without being asked to (a crash). */
  readonly onUnexpectedExit?: (index: number, code: number | null, logFile: string) => void;
}

export function startNodeProcesses(options: StartNodeProcessesOptions): NodeProcesses {
  mkdirSync(options.logDirectory, { recursive: true });
  const nodes: (NodeProcess | undefined)[] = Array.from({ length: options.count }, () => undefined);
  const children = new Map<number, { child: ChildProcess; log: WriteStream; expectedExit: boolean }>();

  const startNode = (index: number): NodeProcess => {
    if (children.has(index)) throw new Error(`node ${index} is already running (pid ${children.get(index)!.child.pid})`);
    const logFile = join(options.logDirectory, `node${index}.log`);
    const log = createWriteStream(logFile, { flags: 'a' });
    const child = spawn(process.execPath, ['--import', 'tsx', NODE_ENTRY], {
      cwd: PROJECT_ROOT,
      env: { ...process.env, ...options.environment(index), ...options.overrides, MPC_NODE_EXIT_WITH_PARENT: '1' },
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
    });
    child.stdout!.pipe(log, { end: false });
    child.stderr!.pipe(log, { end: false });
    const entry = { child, log, expectedExit: false };
    children.set(index, entry);
    const exited = new Promise<number | null>((resolveExit) => {
      child.once('exit', (code) => {
        children.delete(index);
        // Let the pipes drain before closing the log.
        setTimeout(() => log.end(), 50);
        if (!entry.expectedExit) options.onUnexpectedExit?.(index, code, logFile);
        resolveExit(code);
      });
    });
    const node: NodeProcess = { index, pid: child.pid!, logFile, exited };
    nodes[index] = node;
    return node;
  };

  const stopNode = async (index: number): Promise<number | null> => {
    const entry = children.get(index);
    const node = nodes[index];
    if (entry === undefined || node === undefined) return null;
    entry.expectedExit = true;
    process.kill(node.pid, 'SIGTERM');
    const killer = setTimeout(() => {
      if (children.has(index)) process.kill(node.pid, 'SIGKILL');
    }, STOP_GRACE_MS);
    const code = await node.exited;
    clearTimeout(killer);
    return code;
  };

  const killNode = async (index: number): Promise<void> => {
    const entry = children.get(index);
    const node = nodes[index];
    if (entry === undefined || node === undefined) return;
    entry.expectedExit = true;
    process.kill(node.pid, 'SIGKILL');
    await node.exited;
  };

  for (let index = 0; index < options.count; index += 1) startNode(index);
  return {
    nodes,
    stopNode,
    killNode,
    startNode,
    stopAll: async () => {
      await Promise.all(nodes.map((_, index) => stopNode(index)));
    },
  };
}
