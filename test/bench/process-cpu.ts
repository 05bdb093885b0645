/**
 * CPU time of the local network's processes, by component, read from Linux's /proc: this process (the
 * launcher: devnet chain, JSON-RPC server, Lake writer, S3-event bridge and the benchmark's clients)
 * and every process below it, each counted under the component its command line names. On a machine
 * whose cores the whole network shares, sustained throughput is bounded by the sum of these, so the
 * breakdown says which part a signature's cost sits in.
 */
import { readFileSync, readdirSync } from 'node:fs';

export const DEVNET_COMPONENTS = ['nodes', 'indexers', 'launcher', 'dynamodb', 'fauxqs', 'other'] as const;
export type DevnetComponent = (typeof DEVNET_COMPONENTS)[number];

/** Cumulative CPU milliseconds (user + system) per component; undefined where /proc cannot be read. */
export type CpuSample = ReadonlyMap<DevnetComponent, number>;

/** Linux reports /proc times in USER_HZ ticks, which is 100 per second on every architecture Node runs on. */
const MS_PER_CLOCK_TICK = 10;

/** Which component a descendant process belongs to, by its command line. */
function componentOf(commandLine: string): DevnetComponent {
  if (commandLine.includes('mpc-node/main')) return 'nodes';
  if (commandLine.includes('lake-indexer/local-poller')) return 'indexers';
  if (commandLine.includes('DynamoDBLocal') || /\bjava\b/.test(commandLine)) return 'dynamodb';
  if (commandLine.includes('fauxqs')) return 'fauxqs';
  return 'other';
}

interface ProcessStat {
  readonly pid: number;
  readonly parentPid: number;
  readonly cpuMs: number;
}

/** Fields of /proc/<pid>/stat after the parenthesised command name (which may hold spaces). */
function readStat(pid: number): ProcessStat | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // fields[0] is field 3 (state): ppid is field 4, utime 14, stime 15.
    return { pid, parentPid: Number(fields[1]), cpuMs: (Number(fields[11]) + Number(fields[12])) * MS_PER_CLOCK_TICK };
  } catch {
    return undefined; // exited meanwhile
  }
}

function commandLineOf(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ');
  } catch {
    return '';
  }
}

/** CPU used so far by this process and its descendants, per component; undefined off Linux. */
export function sampleDevnetCpu(): CpuSample | undefined {
  let pids: number[];
  try {
    pids = readdirSync('/proc').filter((name) => /^\d+$/.test(name)).map(Number);
  } catch {
    return undefined;
  }
  const children = new Map<number, ProcessStat[]>();
  for (const stat of pids.map(readStat)) if (stat !== undefined) children.set(stat.parentPid, [...(children.get(stat.parentPid) ?? []), stat]);
  const usage = process.cpuUsage();
  const totals = new Map<DevnetComponent, number>(DEVNET_COMPONENTS.map((component) => [component, 0]));
  totals.set('launcher', (usage.user + usage.system) / 1000);
  // A wrapper (the emulators' bash watchdog) passes its component down to what it starts.
  const visit = (parentPid: number, inherited: DevnetComponent | undefined): void => {
    for (const child of children.get(parentPid) ?? []) {
      const own = componentOf(commandLineOf(child.pid));
      const component = own === 'other' && inherited !== undefined ? inherited : own;
      totals.set(component, totals.get(component)! + child.cpuMs);
      visit(child.pid, component === 'other' ? undefined : component);
    }
  };
  visit(process.pid, undefined);
  return totals;
}

/** CPU milliseconds each component used between two samples. */
export function cpuBetween(before: CpuSample, after: CpuSample): Map<DevnetComponent, number> {
  return new Map(DEVNET_COMPONENTS.map((component) => [component, (after.get(component) ?? 0) - (before.get(component) ?? 0)]));
}
