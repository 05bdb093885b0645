/**
 * Keeps the participant URL's host name on the node task's public IPv4: on each "task running" event, the
 * address of the task's network interface is written into the operator's hosted zone as an A record
 * (UPSERT, so repeated events are harmless). Sans-IO: EC2 and Route 53 are behind the two ports below.
 */
import { runningTaskOf } from './task-event.js';

export type PublicAddressLookup =
  | { readonly found: true; readonly publicIpv4: string | undefined }
  /** The interface no longer exists: its task has stopped since the event was sent. */
  | { readonly found: false };

export interface NetworkInterfaces {
  publicIpv4Of(networkInterfaceId: string): Promise<PublicAddressLookup>;
}

export interface ARecord {
  readonly hostedZoneId: string;
  readonly name: string;
  readonly ipv4: string;
  readonly ttlSeconds: number;
}

export interface DnsRecords {
  upsertA(record: ARecord): Promise<void>;
}

export interface TaskDnsSettings {
  readonly hostedZoneId: string;
  readonly recordName: string;
  readonly ttlSeconds: number;
}

export type TaskDnsOutcome =
  | { readonly kind: 'updated'; readonly taskArn: string; readonly ipv4: string }
  /** Not a running task (its other state changes arrive too when a rule is widened). */
  | { readonly kind: 'ignored' }
  /** A late event of a task that has stopped: the record stays on whatever came after it. */
  | { readonly kind: 'task-gone'; readonly taskArn: string; readonly networkInterfaceId: string };

/** The running task's interface has no public IPv4 (a task placed without `assignPublicIp`). Retried by Lambda, then alarmed. */
export class NoPublicAddressError extends Error {
  constructor(readonly taskArn: string, readonly networkInterfaceId: string) {
    super(`task ${taskArn} is running but its network interface ${networkInterfaceId} has no public IPv4`);
    this.name = 'NoPublicAddressError';
  }
}

export class TaskDnsUpdater {
  constructor(
    private readonly settings: TaskDnsSettings,
    private readonly networkInterfaces: NetworkInterfaces,
    private readonly records: DnsRecords,
  ) {}

  async handle(event: unknown): Promise<TaskDnsOutcome> {
    const task = runningTaskOf(event);
    if (task === undefined) return { kind: 'ignored' };
    const address = await this.networkInterfaces.publicIpv4Of(task.networkInterfaceId);
    if (!address.found) return { kind: 'task-gone', ...task };
    if (address.publicIpv4 === undefined) throw new NoPublicAddressError(task.taskArn, task.networkInterfaceId);
    await this.records.upsertA({
      hostedZoneId: this.settings.hostedZoneId,
      name: this.settings.recordName,
      ipv4: address.publicIpv4,
      ttlSeconds: this.settings.ttlSeconds,
    });
    return { kind: 'updated', taskArn: task.taskArn, ipv4: address.publicIpv4 };
  }
}
