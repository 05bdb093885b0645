/**
 * Drives sans-IO protocol instances over the mesh. Every payload on the wire is
 * `instance id (32 bytes) ‖ protocol bytes`; the router pokes each instance, sends what it asks for,
 * and feeds it the messages addressed to it. Peers start an instance at slightly different moments,
 * so messages for an instance not started here yet are held for a while (bounded); messages from
 * non-participants, for finished instances, or unclaimed until they expire are dropped and counted.
 * Timeouts live here, not in the protocols.
 */
import { ProtocolAbort } from '../../shared/crypto/errors.js';
import type { ParticipantId, Protocol } from '../../shared/crypto/protocol.js';
import { setBounded } from './bounded-map.js';
import type { Counter } from './observability/metrics.js';

export const INSTANCE_ID_BYTES = 32;

export type InstanceId = Uint8Array;

/** A protocol run did not finish within its time limit. */
export class ProtocolTimeout extends Error {
  constructor(
    readonly instance: string,
    readonly timeoutMs: number,
  ) {
    super(`protocol instance ${instance} did not finish within ${timeoutMs} ms`);
    this.name = 'ProtocolTimeout';
  }
}

export interface ProtocolRouterOptions {
  readonly me: ParticipantId;
  /** Sends one payload to one peer; failures are reported through `aborted` runs, not thrown here. */
  readonly send: (to: ParticipantId, payload: Uint8Array) => Promise<void>;
  /** Counts dropped messages by reason. */
  readonly dropped: Counter;
  /** How long messages for an unknown instance are held (default 30 s). */
  readonly earlyMessageTtlMs?: number;
  readonly maxEarlyMessages?: number;
  /** How long finished instance ids are remembered, to tell late messages from early ones. */
  readonly finishedMemoryMs?: number;
}

interface HeldMessage {
  readonly from: ParticipantId;
  readonly data: Uint8Array;
  readonly expires: number;
}

/** A participant's abort of an instance not started here yet (its refusal overtook our start). */
interface EarlyAbort {
  readonly from: ParticipantId;
  readonly reason: Error;
  readonly expires: number;
}

/** Early aborts remembered at most; the oldest are forgotten first. */
const MAX_EARLY_ABORTS = 1024;

interface RunningInstance {
  readonly protocol: Protocol<unknown>;
  readonly participants: ReadonlySet<ParticipantId>;
  readonly resolve: (output: unknown) => void;
  readonly reject: (error: Error) => void;
  readonly timer: NodeJS.Timeout;
}

const hex = (bytes: Uint8Array): string => Buffer.from(bytes).toString('hex');

export function framePayload(instance: InstanceId, data: Uint8Array): Uint8Array {
  const payload = new Uint8Array(INSTANCE_ID_BYTES + data.length);
  payload.set(instance, 0);
  payload.set(data, INSTANCE_ID_BYTES);
  return payload;
}

export class ProtocolRouter {
  private readonly running = new Map<string, RunningInstance>();
  private readonly held = new Map<string, HeldMessage[]>();
  private heldCount = 0;
  private readonly finished = new Map<string, number>();
  private readonly earlyAborts = new Map<string, EarlyAbort>();
  private readonly earlyTtlMs: number;
  private readonly maxEarly: number;
  private readonly finishedMemoryMs: number;

  constructor(private readonly options: ProtocolRouterOptions) {
    this.earlyTtlMs = options.earlyMessageTtlMs ?? 30_000;
    this.maxEarly = options.maxEarlyMessages ?? 100_000;
    this.finishedMemoryMs = options.finishedMemoryMs ?? 10 * 60_000;
  }

  /** Runs `protocol` as this node's part of `instance` among `participants` (including this node). */
  run<Output>(instance: InstanceId, protocol: Protocol<Output>, participants: readonly ParticipantId[], timeoutMs: number): Promise<Output> {
    if (instance.length !== INSTANCE_ID_BYTES) throw new RangeError(`instance id must be ${INSTANCE_ID_BYTES} bytes`);
    const key = hex(instance);
    if (this.running.has(key) || this.finished.has(key)) throw new RangeError(`protocol instance ${key} already ran here`);
    if (!participants.includes(this.options.me)) throw new RangeError(`participant ${this.options.me} is not in instance ${key}`);
    return new Promise<Output>((resolve, reject) => {
      const timer = setTimeout(() => this.finish(key, new ProtocolTimeout(key, timeoutMs)), timeoutMs);
      timer.unref();
      this.running.set(key, {
        protocol: protocol as Protocol<unknown>,
        participants: new Set(participants),
        resolve: resolve as (output: unknown) => void,
        reject,
        timer,
      });
      const early = this.held.get(key) ?? [];
      this.held.delete(key);
      this.heldCount -= early.length;
      for (const message of early) this.accept(key, message.from, message.data);
      const abort = this.earlyAborts.get(key);
      this.earlyAborts.delete(key);
      if (abort !== undefined && abort.from !== this.options.me && participants.includes(abort.from)) this.finish(key, abort.reason);
      else this.advance(key, instance);
    });
  }

  /** Entry point for every authenticated mesh payload. */
  deliver(from: ParticipantId, payload: Uint8Array): void {
    if (payload.length < INSTANCE_ID_BYTES) {
      this.options.dropped.inc({ reason: 'no-instance-id' });
      return;
    }
    const instance = payload.subarray(0, INSTANCE_ID_BYTES);
    const key = hex(instance);
    const data = payload.slice(INSTANCE_ID_BYTES);
    if (this.running.has(key)) {
      this.accept(key, from, data);
      this.advance(key, instance);
      return;
    }
    if (this.finished.has(key)) {
      this.options.dropped.inc({ reason: 'instance-finished' });
      return;
    }
    this.hold(key, from, data);
  }

  /** Drops held messages past their time and forgets old finished instances; call periodically. */
  sweep(now = Date.now()): void {
    for (const [key, messages] of this.held) {
      const kept = messages.filter((message) => message.expires > now);
      const expired = messages.length - kept.length;
      if (expired > 0) this.options.dropped.inc({ reason: 'instance-never-started' }, expired);
      this.heldCount -= expired;
      if (kept.length === 0) this.held.delete(key);
      else this.held.set(key, kept);
    }
    for (const [key, finishedAt] of this.finished) if (finishedAt + this.finishedMemoryMs <= now) this.finished.delete(key);
    for (const [key, abort] of this.earlyAborts) if (abort.expires <= now) this.earlyAborts.delete(key);
  }

  /**
   * Aborts `instance` because participant `from` says it will not take part (its caller sees `reason`).
   * Only a participant of that run can end it; a false claim costs the run, which one silent participant
   * could cost anyway. An abort of an instance not started here yet is kept until `run` starts it
   * (bounded, expiring with held messages). Returns whether a running instance was aborted.
   */
  abortByParticipant(instance: InstanceId, from: ParticipantId, reason: Error): boolean {
    const key = hex(instance);
    const running = this.running.get(key);
    if (running === undefined) {
      // The abort may have overtaken our own start of the run (the refusal of a run we are about to
      // start): remember it for a while, and `run` checks it once it knows the participants.
      if (!this.finished.has(key)) setBounded(this.earlyAborts, key, { from, reason, expires: Date.now() + this.earlyTtlMs }, MAX_EARLY_ABORTS);
      return false;
    }
    if (from === this.options.me || !running.participants.has(from)) return false;
    this.finish(key, reason);
    return true;
  }

  /** Aborts `instance` on this node's own account (the run is no longer wanted); returns whether it was running. */
  abort(instance: InstanceId, reason: Error): boolean {
    const key = hex(instance);
    if (!this.running.has(key)) return false;
    this.finish(key, reason);
    return true;
  }

  /** Aborts every running instance `participant` takes part in (it stopped answering); returns how many. */
  abortRunsWith(participant: ParticipantId, reason: Error): number {
    if (participant === this.options.me) return 0;
    const keys = [...this.running].filter(([, instance]) => instance.participants.has(participant)).map(([key]) => key);
    for (const key of keys) this.finish(key, reason);
    return keys.length;
  }

  /** Aborts every running instance (shutdown); their callers see the error. */
  abortAll(reason: Error): void {
    for (const key of [...this.running.keys()]) this.finish(key, reason);
  }

  get runningCount(): number {
    return this.running.size;
  }

  /** Messages waiting for an instance this node has not started yet. */
  get heldMessageCount(): number {
    return this.heldCount;
  }

  private hold(key: string, from: ParticipantId, data: Uint8Array): void {
    if (this.heldCount >= this.maxEarly) {
      this.options.dropped.inc({ reason: 'early-buffer-full' });
      return;
    }
    const messages = this.held.get(key) ?? [];
    messages.push({ from, data, expires: Date.now() + this.earlyTtlMs });
    this.held.set(key, messages);
    this.heldCount += 1;
  }

  private accept(key: string, from: ParticipantId, data: Uint8Array): void {
    const instance = this.running.get(key)!;
    if (!instance.participants.has(from) || from === this.options.me) {
      this.options.dropped.inc({ reason: 'not-a-participant' });
      return;
    }
    instance.protocol.message(from, data);
  }

  private advance(key: string, instanceId: InstanceId): void {
    const instance = this.running.get(key);
    if (instance === undefined) return;
    try {
      for (;;) {
        const action = instance.protocol.poke();
        if (action.kind === 'wait') return;
        if (action.kind === 'return') {
          this.finish(key, undefined, action.output);
          return;
        }
        const recipients = action.kind === 'send-private' ? [action.to] : [...instance.participants].filter((id) => id !== this.options.me);
        for (const to of recipients) {
          this.options.send(to, framePayload(instanceId, action.data)).catch((error: unknown) => {
            this.finish(key, error instanceof Error ? error : new Error(String(error)));
          });
        }
      }
    } catch (error) {
      this.finish(key, error instanceof ProtocolAbort || error instanceof Error ? error : new Error(String(error)));
    }
  }

  private finish(key: string, error: Error | undefined, output?: unknown): void {
    const instance = this.running.get(key);
    if (instance === undefined) return;
    clearTimeout(instance.timer);
    this.running.delete(key);
    this.finished.set(key, Date.now());
    if (error === undefined) instance.resolve(output);
    else instance.reject(error);
  }
}
