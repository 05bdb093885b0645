import { randomBytes } from '@noble/hashes/utils.js';
import { ProtocolAbort } from '../../errors.js';
import type { ParticipantId, Protocol } from '../../protocol.js';
import { settleProtocols, type Envelope, type SettledRun } from '../../runner.js';
import type { Triple } from '../triple.js';
import { Tag } from './messages.js';
import { generateTriples } from './triple-generation.js';

// Participants 0, 1, 2 with threshold 2. OT orientation: in pair {0, 1} party 0 is the OT
// sender and 1 the receiver; in {0, 2} party 2 sends; in {1, 2} party 1 sends.
const participants = [0, 1, 2];

function run(intercept: (envelope: Envelope) => readonly Envelope[]): SettledRun<readonly Triple[]> {
  const sessionId = randomBytes(32);
  const parties = new Map<ParticipantId, Protocol<readonly Triple[]>>(
    participants.map((me) => [me, generateTriples({ participants, me, threshold: 2, batchSize: 1, sessionId })]),
  );
  return settleProtocols(parties, { intercept });
}

const tagOf = (envelope: Envelope): number => envelope.data[1]!;

/** Passes everything except the first message (from, to, tag), which `change` rewrites. */
function tamperOnce(from: ParticipantId, to: ParticipantId, tag: number, change: (data: Uint8Array) => readonly Envelope[] | Uint8Array) {
  let done = false;
  return (envelope: Envelope): readonly Envelope[] => {
    if (done || envelope.from !== from || envelope.to !== to || tagOf(envelope) !== tag) return [envelope];
    done = true;
    const changed = change(envelope.data.slice());
    return changed instanceof Uint8Array ? [{ ...envelope, data: changed }] : changed;
  };
}

function flipByte(at: (data: Uint8Array) => number, mask = 1) {
  return (data: Uint8Array): Uint8Array => {
    data[at(data)]! ^= mask;
    return data;
  };
}

function expectAbort(settled: SettledRun<readonly Triple[]>, party: ParticipantId, step: string, culprit?: ParticipantId): ProtocolAbort {
  const abort = settled.aborts.get(party);
  expect(abort).toBeInstanceOf(ProtocolAbort);
  expect(abort!.step).toBe(step);
  expect(abort!.culprit).toBe(culprit);
  return abort!;
}

describe('triple generation against malicious parties', () => {
  it('an OT receiver whose U matrix flips one choice bit in every column fails the consistency check', () => {
    // Row 0 of every column: a consistent but unannounced change of choice bit 0, which the
    // check catches deterministically (the answer x no longer matches Q).
    const settled = run(
      tamperOnce(1, 0, Tag.otCorrection, (data) => {
        const columnBytes = (data.length - 2) / 128;
        for (let column = 0; column < 128; column += 1) data[2 + column * columnBytes]! ^= 1;
        return data;
      }),
    );
    expectAbort(settled, 0, 'ot-extension/consistency-check', 1);
    expect(settled.outputs.size).toBe(0);
  });

  it('a tampered consistency-check answer aborts the OT sender, blaming the receiver', () => {
    const settled = run(tamperOnce(1, 0, Tag.otCheckAnswer, flipByte((data) => data.length - 1)));
    expectAbort(settled, 0, 'ot-extension/consistency-check', 1);
    expect(settled.outputs.size).toBe(0);
  });

  it('a bad proof of knowledge of e(0), f(0) is blamed on its prover', () => {
    // The last byte of the opening is the last byte of the batched proof's response.
    const settled = run(tamperOnce(2, 0, Tag.commitmentOpening, flipByte((data) => data.length - 1)));
    expectAbort(settled, 0, 'round-2/dlog-proof', 2);
    expect(settled.outputs.size).toBe(0);
  });

  it('a bad dlog-eq proof for C = e(0)·F(0) is blamed on its prover', () => {
    const settled = run(tamperOnce(1, 2, Tag.productCommitments, flipByte((data) => data.length - 1)));
    expectAbort(settled, 2, 'round-3/dlog-eq-proof', 1);
    expect(settled.outputs.size).toBe(0);
  });

  it('a commitment hash broadcast inconsistently is detected by every party', () => {
    const settled = run(tamperOnce(2, 0, Tag.commitmentHash, flipByte(() => 5)));
    for (const party of participants) expectAbort(settled, party, 'round-2/broadcast-consistency');
    expect(settled.outputs.size).toBe(0);
  });

  it('corrupted private shares are blamed on their sender', () => {
    const settled = run(tamperOnce(2, 0, Tag.sharesAndBaseOtReceiverPoints, flipByte(() => 20)));
    expectAbort(settled, 0, 'round-2/private-shares', 2);
    expect(settled.outputs.size).toBe(0);
  });

  it('corrupted MTA corrections make the product check fail for everyone', () => {
    const settled = run(tamperOnce(0, 1, Tag.mtaCorrections, (data) => {
      // Add 1 to every correction's low byte (wrapping stays canonical except with negligible odds).
      for (let at = 2 + 31; at < data.length; at += 32) data[at] = (data[at]! + 1) & 0xff;
      return data;
    }));
    for (const party of participants) expectAbort(settled, party, 'final/multiplication-check');
    expect(settled.outputs.size).toBe(0);
  });

  it('a duplicated message aborts its recipient, blaming the sender', () => {
    const settled = run(tamperOnce(2, 0, Tag.commitmentOpening, (data) => {
      const envelope: Envelope = { from: 2, to: 0, data, isPrivate: false };
      return [envelope, envelope];
    }));
    expect(expectAbort(settled, 0, 'receive', 2).message).toMatch(/duplicate/);
    expect(settled.outputs.size).toBe(0);
  });

  it('a message replayed from an earlier round aborts its recipient', () => {
    // Party 1's round-1 hash to party 2 is delivered again next to its round-3 broadcast.
    let roundOne: Envelope | undefined;
    const settled = run((envelope) => {
      if (envelope.from !== 1 || envelope.to !== 2) return [envelope];
      if (tagOf(envelope) === Tag.commitmentHash) roundOne = envelope;
      return tagOf(envelope) === Tag.productCommitments && roundOne !== undefined ? [envelope, roundOne] : [envelope];
    });
    expect(expectAbort(settled, 2, 'receive', 1).message).toMatch(/duplicate/);
    expect(settled.outputs.size).toBe(0);
  });

  it('a message from a non-participant aborts its recipient, naming the stranger', () => {
    const settled = run(tamperOnce(1, 0, Tag.commitmentHash, (data) => [
      { from: 1, to: 0, data, isPrivate: false },
      { from: 99, to: 0, data, isPrivate: false },
    ]));
    expect(expectAbort(settled, 0, 'receive', 99).message).toMatch(/non-participant/);
    expect(settled.outputs.size).toBe(0);
  });

  it('a message with a tag its sender never sends in that role is refused', () => {
    // Party 1 is the OT receiver towards 0, so it never sends MTA corrections to 0.
    const settled = run(tamperOnce(1, 0, Tag.commitmentHash, (data) => [
      { from: 1, to: 0, data, isPrivate: false },
      { from: 1, to: 0, data: Uint8Array.of(1, Tag.mtaCorrections), isPrivate: true },
    ]));
    expectAbort(settled, 0, 'receive', 1);
    expect(settled.outputs.size).toBe(0);
  });
});
