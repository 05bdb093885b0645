import { defineContract, readStored, writeStored, encodeJson } from '../common/runtime.js';
import { fail } from '../common/errors.js';
import { ContractTestbed } from './test-host.js';

const probe = defineContract(
  'probe',
  {
    write_then_panic: (host) => {
      writeStored(host, 'k', 'written');
      host.promiseYieldCreate('cb', encodeJson({}), 1n, 0n);
      fail('InvalidState', 'on purpose');
    },
    park: (host) => host.promiseReturn(host.promiseYieldCreate('cb', encodeJson({ n: 1 }), 1n, 0n).promise),
    resume_then_panic: (host, args) => {
      host.promiseYieldResume(Uint8Array.from(Buffer.from(args.id as string, 'hex')), encodeJson('late'));
      fail('InvalidState', 'on purpose');
    },
    resume: (host, args) => {
      host.valueReturn(encodeJson(host.promiseYieldResume(Uint8Array.from(Buffer.from(args.id as string, 'hex')), encodeJson('payload'))));
    },
    cb: (host) => {
      const result = host.promiseResult(0);
      host.valueReturn(result.status === 'successful' ? result.value : encodeJson('timed out'));
    },
    read: (host) => host.valueReturn(encodeJson(readStored(host, 'k'))),
    write: (host) => writeStored(host, 'k', 'x'),
  },
  ['read', 'write'],
);

describe('ContractTestbed', () => {
  it('rolls back storage and yields of a panicking call', () => {
    const testbed = new ContractTestbed(probe, 'probe.near');
    const outcome = testbed.call('write_then_panic', {});
    expect(outcome).toEqual({ status: 'panic', error: 'InvalidState: on purpose', logs: [], promises: [], resumes: [] });
    expect(testbed.snapshot().size).toBe(0);
    expect(testbed.parkedYieldIds()).toEqual([]);
  });

  it('delivers resumes and timeouts to parked callbacks, once', () => {
    const testbed = new ContractTestbed(probe, 'probe.near');
    const first = testbed.call('park', {}).promises[0] as { dataId: string };
    const second = testbed.call('park', {}).promises[0] as { dataId: string };
    expect(testbed.call('resume_then_panic', { id: first.dataId }).status).toBe('panic');
    expect(() => testbed.deliverResumedYield(first.dataId)).toThrow(/was not resumed/);
    expect(testbed.call('resume', { id: first.dataId }).value).toBe(true);
    expect(testbed.call('resume', { id: first.dataId }).value).toBe(false);
    expect(() => testbed.timeOutYield(first.dataId)).toThrow(/cannot time out/);
    expect(testbed.deliverResumedYield(first.dataId).value).toBe('payload');
    expect(testbed.timeOutYield(second.dataId).value).toBe('timed out');
    expect(testbed.parkedYieldIds()).toEqual([]);
    expect(testbed.call('resume', { id: second.dataId }).value).toBe(false);
  });

  it('refuses writes and caller context in views', () => {
    const testbed = new ContractTestbed(probe, 'probe.near');
    expect(testbed.view('read')).toBeNull();
    expect(() => testbed.view('write')).toThrow(/ProhibitedInView: storage_write/);
    expect(() => testbed.view('park')).toThrow(/park is not a view method/);
  });
});
