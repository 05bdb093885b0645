/**
 * The devnet's long-lived services as separate OS processes through tsx: the MPC nodes
 * (`services/mpc-node/main.ts`, one per participant) and the lake indexers (the Lambda handler behind
 * `lambdas/lake-indexer/local-poller.ts`, one per operator, as each operator's Lambda is its own). Each
 * runs with its own environment and writes straight into its own log file (this process never relays
 * their output). Stopped by PID: SIGTERM (their graceful stop), then SIGKILL after a bound. Every child
 * also has an IPC channel to this process and stops when it closes, so a launcher that dies leaves no
 * process behind.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, mkdirSync, openSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const PROJECT_ROOT = resolve(fileURLToPath(new URL('.', import.meta.url)), '../../..');
const NODE_ENTRY = join(PROJECT_ROOT, 'services/mpc-node/main.ts');
const LAKE_INDEXER_ENTRY = join(PROJECT_ROOT, 'lambdas/lake-indexer/local-poller.ts');
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
  /** Extra variables for every process (e.g. smaller stockpile targets in tests). */
  readonly overrides?: Record<string, string>;
  /** Called when a process exits without being asked to (a crash). */
  readonly onUnexpectedExit?: (index: number, code: number | null, logFile: string) => void;
}

/** What differs between the kinds of service process. */
interface ServiceKind {
  readonly entry: string;
  readonly logName: (index: number) => string;
  /** The variable that makes the service stop when its IPC channel to this process closes. */
  readonly exitWithParentVariable: string;
}

const MPC_NODE: ServiceKind = { entry: NODE_ENTRY, logName: (index) => `node${index}.log`, exitWithParentVariable: 'MPC_NODE_EXIT_WITH_PARENT' };
const LAKE_INDEXER: ServiceKind = { entry: LAKE_INDEXER_ENTRY, logName: (index) => `indexer${index}.log`, exitWithParentVariable: 'LAKE_INDEXER_EXIT_WITH_PARENT' };

/** One MPC node process per participant, `node<i>.log` each. */
export function startNodeProcesses(options: StartNodeProcessesOptions): NodeProcesses {
  return startServiceProcesses(MPC_NODE, options);
}

/** One lake indexer process per operator, `indexer<i>.log` each (`environment(i)`: ./local-poller.ts's variables). */
export function startLakeIndexerProcesses(options: StartNodeProcessesOptions): NodeProcesses {
  return startServiceProcesses(LAKE_INDEXER, options);
}

function startServiceProcesses(kind: ServiceKind, options: StartNodeProcessesOptions): NodeProcesses {
  mkdirSync(options.logDirectory, { recursive: true });
  const nodes: (NodeProcess | undefined)[] = Array.from({ length: options.count }, () => undefined);
  const children = new Map<number, { child: ChildProcess; expectedExit: boolean }>();

  const startNode = (index: number): NodeProcess => {
    if (children.has(index)) throw new Error(`process ${index} of ${kind.entry} is already running (pid ${children.get(index)!.child.pid})`);
    const logFile = join(options.logDirectory, kind.logName(index));
    // The child writes to the file itself: relaying its output would cost this process's event loop.
    const log = openSync(logFile, 'a');
    let child: ChildProcess;
    try {
      child = spawn(process.execPath, ['--import', 'tsx', kind.entry], {
        cwd: PROJECT_ROOT,
        env: { ...process.env, ...options.environment(index), ...options.overrides, [kind.exitWithParentVariable]: '1' },
        stdio: ['ignore', log, log, 'ipc'],
      });
    } finally {
      closeSync(log);
    }
    const entry = { child, expectedExit: false };
    children.set(index, entry);
    const exited = new Promise<number | null>((resolveExit) => {
      child.once('exit', (code) => {
        children.delete(index);
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
