import { ProtocolAbort } from './errors.js';
import type { ParticipantId, Protocol } from './protocol.js';

/** One message in flight between two parties of an in-memory run. */
export interface Envelope {
  readonly from: ParticipantId;
  readonly to: ParticipantId;
  readonly data: Uint8Array;
  /** True for `send-private`, false for a copy of a `send-many` broadcast. */
  readonly isPrivate: boolean;
}

export interface RunOptions {
  /**
   * Sees every envelope before delivery and returns what is actually delivered: `[]` drops it, a
   * changed copy tampers with it, two copies duplicate it, an envelope with another `from` forges
   * a sender. For malicious-party tests.
   */
  readonly intercept?: (envelope: Envelope) => readonly Envelope[];
  /** Guard against protocols that never finish (default 10 million deliveries). */
  readonly maxDeliveries?: number;
}

export interface Traffic {
  /** Bytes each party put on the wire (a broadcast counts once per recipient). */
  readonly bytesSent: ReadonlyMap<ParticipantId, number>;
  readonly messagesSent: ReadonlyMap<ParticipantId, number>;
}

export interface SettledRun<Output> extends Traffic {
  readonly outputs: ReadonlyMap<ParticipantId, Output>;
  readonly aborts: ReadonlyMap<ParticipantId, ProtocolAbort>;
  /** Parties still waiting when no message was left to deliver. */
  readonly stalled: readonly ParticipantId[];
}

/** No party can make progress and no message is in flight. */
export class RunnerStalled extends Error {
  constructor(readonly waiting: readonly ParticipantId[]) {
    super(`protocol run stalled: participants ${waiting.join(', ')} are waiting and no message is in flight`);
    this.name = 'RunnerStalled';
  }
}

function increment(map: Map<ParticipantId, number>, key: ParticipantId, by: number): void {
  map.set(key, (map.get(key) ?? 0) + by);
}

/**
 * Runs one protocol instance among in-memory parties until every party has returned, aborted, or
 * is stuck. Never throws a party's abort: it is reported in `aborts`, so malicious-party tests can
 * check what each honest party concluded.
 */
export function settleProtocols<Output>(
  parties: ReadonlyMap<ParticipantId, Protocol<Output>>,
  options: RunOptions = {},
): SettledRun<Output> {
  const ids = [...parties.keys()];
  const outputs = new Map<ParticipantId, Output>();
  const aborts = new Map<ParticipantId, ProtocolAbort>();
  const bytesSent = new Map<ParticipantId, number>();
  const messagesSent = new Map<ParticipantId, number>();
  const maxDeliveries = options.maxDeliveries ?? 10_000_000;
  let inFlight: Envelope[] = [];
  let deliveries = 0;
  const finished = (id: ParticipantId): boolean => outputs.has(id) || aborts.has(id);

  const post = (envelope: Envelope): void => {
    increment(bytesSent, envelope.from, envelope.data.length);
    increment(messagesSent, envelope.from, 1);
    inFlight.push(...(options.intercept ? options.intercept(envelope) : [envelope]));
  };

  for (;;) {
    for (const id of ids) {
      if (finished(id)) continue;
      const party = parties.get(id)!;
      try {
        for (;;) {
          const action = party.poke();
          if (action.kind === 'wait') break;
          if (action.kind === 'return') {
            outputs.set(id, action.output);
            break;
          }
          if (action.kind === 'send-private') {
            post({ from: id, to: action.to, data: action.data, isPrivate: true });
          } else {
            for (const to of ids) if (to !== id) post({ from: id, to, data: action.data, isPrivate: false });
          }
        }
      } catch (error) {
        if (!(error instanceof ProtocolAbort)) throw error;
        aborts.set(id, error);
      }
    }
    if (inFlight.length === 0) break;
    const batch = inFlight;
    inFlight = [];
    for (const envelope of batch) {
      deliveries += 1;
      if (deliveries > maxDeliveries) throw new Error(`protocol run exceeded ${maxDeliveries} deliveries`);
      const recipient = parties.get(envelope.to);
      if (recipient !== undefined && !finished(envelope.to)) recipient.message(envelope.from, envelope.data);
    }
  }
  return { outputs, aborts, stalled: ids.filter((id) => !finished(id)), bytesSent, messagesSent };
}

/** Runs a protocol instance to completion; throws the first abort, or {@link RunnerStalled}. */
export function runProtocols<Output>(
  parties: ReadonlyMap<ParticipantId, Protocol<Output>>,
  options: RunOptions = {},
): { readonly outputs: ReadonlyMap<ParticipantId, Output> } & Traffic {
  const run = settleProtocols(parties, options);
  const [firstAbort] = run.aborts.values();
  if (firstAbort !== undefined) throw firstAbort;
  if (run.stalled.length > 0) throw new RunnerStalled(run.stalled);
  return run;
}
