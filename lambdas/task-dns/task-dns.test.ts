import { NETWORK_INTERFACE_ID, TASK_ARN, taskStateChange } from './task-event.fixture.js';
import { NoPublicAddressError, TaskDnsUpdater, type ARecord, type PublicAddressLookup } from './task-dns.js';

const SETTINGS = { hostedZoneId: 'Z0123456789ABCDEFGHIJ', recordName: 'mpc.example.com', ttlSeconds: 60 };

/** EC2 answering with a fixed lookup, Route 53 recording what was written. */
function updaterWith(lookup: PublicAddressLookup) {
  const asked: string[] = [];
  const written: ARecord[] = [];
  const updater = new TaskDnsUpdater(
    SETTINGS,
    { publicIpv4Of: async (id) => (asked.push(id), lookup) },
    { upsertA: async (record) => void written.push(record) },
  );
  return { updater, asked, written };
}

describe('TaskDnsUpdater', () => {
  it('points the record at the public IPv4 of the running task, TTL 60', async () => {
    const { updater, asked, written } = updaterWith({ found: true, publicIpv4: '203.0.113.25' });
    await expect(updater.handle(taskStateChange('RUNNING', 'RUNNING'))).resolves.toEqual({ kind: 'updated', taskArn: TASK_ARN, ipv4: '203.0.113.25' });
    expect(asked).toEqual([NETWORK_INTERFACE_ID]);
    expect(written).toEqual([{ hostedZoneId: SETTINGS.hostedZoneId, name: 'mpc.example.com', ipv4: '203.0.113.25', ttlSeconds: 60 }]);
  });

  it('writes nothing for a task that is not running, and asks EC2 nothing', async () => {
    const { updater, asked, written } = updaterWith({ found: true, publicIpv4: '203.0.113.25' });
    await expect(updater.handle(taskStateChange('RUNNING', 'STOPPED'))).resolves.toEqual({ kind: 'ignored' });
    expect(asked).toEqual([]);
    expect(written).toEqual([]);
  });

  it('leaves the record alone for a late event of a task whose interface is gone', async () => {
    const { updater, written } = updaterWith({ found: false });
    await expect(updater.handle(taskStateChange('RUNNING', 'RUNNING'))).resolves.toEqual({ kind: 'task-gone', taskArn: TASK_ARN, networkInterfaceId: NETWORK_INTERFACE_ID });
    expect(written).toEqual([]);
  });

  it('fails (for Lambda to retry and the alarm to see) when the running task has no public address', async () => {
    const { updater, written } = updaterWith({ found: true, publicIpv4: undefined });
    await expect(updater.handle(taskStateChange('RUNNING', 'RUNNING'))).rejects.toThrow(new NoPublicAddressError(TASK_ARN, NETWORK_INTERFACE_ID));
    expect(written).toEqual([]);
  });
});
