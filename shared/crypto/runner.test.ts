import { ByteReader, ByteWriter } from '../codec/binary.js';
import { ProtocolAbort } from './errors.js';
import type { Action, ParticipantId, Protocol } from './protocol.js';
import { RunnerStalled, runProtocols, settleProtocols } from './runner.js';

/** Toy protocol: broadcast a u32, return the sum of everyone's; duplicates and strangers abort. */
class SumProtocol implements Protocol<number> {
  private sent = false;
  private readonly received = new Map<ParticipantId, number>();
  private abort: ProtocolAbort | undefined;

  constructor(
    private readonly me: ParticipantId,
    private readonly participants: readonly ParticipantId[],
    private readonly value: number,
  ) {}

  poke(): Action<number> {
    if (this.abort) throw this.abort;
    if (!this.sent) {
      this.sent = true;
      return { kind: 'send-many', data: new ByteWriter().u32(this.value).finish() };
    }
    if (this.received.size < this.participants.length - 1) return { kind: 'wait' };
    return { kind: 'return', output: [...this.received.values()].reduce((a, b) => a + b, this.value) };
  }

  message(from: ParticipantId, data: Uint8Array): void {
    if (!this.participants.includes(from) || from === this.me) {
      this.abort ??= new ProtocolAbort('sum', 'round-1', 'message from a non-participant', from);
      return;
    }
    if (this.received.has(from)) {
      this.abort ??= new ProtocolAbort('sum', 'round-1', 'duplicate message', from);
      return;
    }
    const reader = new ByteReader(data, 'sum/round-1');
    this.received.set(from, reader.u32());
  }
}

const ids = [1, 2, 3];
const parties = (): Map<ParticipantId, Protocol<number>> => new Map(ids.map((id) => [id, new SumProtocol(id, ids, id * 10)]));

describe('in-memory runner', () => {
  it('delivers broadcasts and counts traffic', () => {
    const run = runProtocols(parties());
    expect([...run.outputs.values()]).toEqual([60, 60, 60]);
    expect(run.bytesSent.get(1)).toBe(8); // 4 bytes to each of two peers
    expect(run.messagesSent.get(2)).toBe(2);
  });

  it('reports a duplicated message as an abort naming the culprit, not an output', () => {
    const run = settleProtocols(parties(), { intercept: (e) => (e.from === 2 && e.to === 1 ? [e, e] : [e]) });
    expect(run.aborts.get(1)).toMatchObject({ culprit: 2, step: 'round-1' });
    expect(run.outputs.has(1)).toBe(false);
  });

  it('throws RunnerStalled when messages are dropped', () => {
    expect(() => runProtocols(parties(), { intercept: (e) => (e.to === 3 ? [] : [e]) })).toThrow(RunnerStalled);
  });

  it('rethrows the first abort from runProtocols', () => {
    expect(() => runProtocols(parties(), { intercept: (e) => [e, { ...e, from: 99 }] })).toThrow(ProtocolAbort);
  });
});
