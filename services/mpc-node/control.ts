/**
 * Control messages: how the node that starts a protocol run (the owner of a triple batch or
 * presignature, the leader of a signature) tells the other participants what to run, with what
 * inputs. They travel over the same authenticated, encrypted mesh as protocol messages, so the
 * sender is known; the receiver still checks everything in them before acting (an honest peer's
 * message can be stale, a malicious peer's can be anything).
 *
 * Every mesh payload starts with one byte saying what follows: a protocol frame for the
 * {@link ProtocolRouter}, or one JSON control message.
 */
import { z } from 'zod';
import type { ParticipantId } from '../../shared/crypto/protocol.js';
import type { Counter } from './observability/metrics.js';

export const MESH_PAYLOAD_KIND = { protocolFrame: 0x00, control: 0x01 } as const;

const hex32 = z.string().regex(/^[0-9a-f]{64}$/, '32 bytes of lowercase hex');
const participantSet = z.array(z.int().nonnegative().max(0xffff_ffff)).min(2).max(1024);
/** Asset ids and partitions are short printable strings the node composes itself (./assets.ts). */
const assetKey = z.string().regex(/^[0-9a-z#.\-]{1,200}$/, 'an asset key');

const startTriples = z.object({
  type: z.literal('triples'),
  instance: hex32,
  participants: participantSet,
  threshold: z.int().min(2),
  batchSize: z.int().min(1).max(1024),
});

const startEcdsaPresign = z.object({
  type: z.literal('ecdsa-presign'),
  instance: hex32,
  participants: participantSet,
  domainId: z.int().nonnegative(),
  epochId: z.int().nonnegative(),
  triplePartition: assetKey,
  /** The nonce triple and the multiplication triple, in that order. */
  tripleIds: z.tuple([assetKey, assetKey]),
});

const startEddsaPresign = z.object({
  type: z.literal('eddsa-presign'),
  instance: hex32,
  participants: participantSet,
  domainId: z.int().nonnegative(),
  epochId: z.int().nonnegative(),
});

const startSignature = z.object({
  type: z.literal('sign'),
  instance: hex32,
  participants: participantSet,
  /** The request id (yield callback receipt id, base58) every node received from its own indexer. */
  requestId: z.string().min(1).max(64),
  domainId: z.int().nonnegative(),
  epochId: z.int().nonnegative(),
  /** The leader's presignature, or null for an EdDSA signature in two rounds without one. */
  presignature: z.object({ partition: assetKey, id: assetKey }).nullable(),
});

/**
 * The sender's lead of a request. `started` (repeated while the lead lasts) holds back every other
 * node's takeover for a lease; `done` (answered, or found answered or expired) and `released` (gave up
 * for now) end the sender's claim at once. A receiver only ever delays or re-checks on these: whether a
 * request is over is always asked of the contract. It counts them only from participants, and one
 * sender's claims to one request only for a bounded time (signing/lead-claims.ts).
 */
const leadingRequest = z.object({
  type: z.literal('leading'),
  requestId: z.string().min(1).max(64),
  phase: z.enum(['started', 'done', 'released']),
});

/**
 * A follower stored its shares of the sender's triple batch or presign run: the owner keeps its own
 * shares only once every follower has (stockpile/stored-confirmations.ts).
 */
const sharesStored = z.object({
  type: z.literal('shares-stored'),
  instance: hex32,
});

/**
 * The owner of a triple batch or presign run (the sender) did not keep its shares: the run failed at
 * its end, possibly after followers stored theirs. Followers delete their shares of it, which nobody
 * would ever name again.
 */
const sharesDropped = z.object({
  type: z.literal('shares-dropped'),
  instance: hex32,
});

/**
 * The sender refused, or gave up, its part in a run this node started (a triple batch, a presign or a
 * sign run): this node aborts that run at once instead of waiting for its timeout.
 */
const runRefused = z.object({
  type: z.literal('run-refused'),
  instance: hex32,
  reason: z.string().max(500),
});

/** The most asset ids one `share-audit` names (the auditor sends more in several). */
export const SHARE_AUDIT_MAX_IDS = 256;

/**
 * The sender has held its shares of these assets of the receiver (the partition's owner) for a while:
 * which of them does the owner neither hold nor use? (stockpile/share-audit.ts)
 */
const shareAudit = z.object({
  type: z.literal('share-audit'),
  audit: hex32,
  partition: assetKey,
  ids: z.array(assetKey).min(1).max(SHARE_AUDIT_MAX_IDS),
});

/** The owner's answer to a `share-audit`: the ids it neither holds nor took lately, whose shares nobody will ever name. */
const shareAuditResult = z.object({
  type: z.literal('share-audit-result'),
  audit: hex32,
  unknown: z.array(assetKey).max(SHARE_AUDIT_MAX_IDS),
});

const controlMessage = z.discriminatedUnion('type', [
  startTriples,
  startEcdsaPresign,
  startEddsaPresign,
  startSignature,
  leadingRequest,
  runRefused,
  sharesStored,
  sharesDropped,
  shareAudit,
  shareAuditResult,
]);

/** Control messages that start a protocol run at the receiver; a failure handling one is answered with `run-refused`. */
const RUN_STARTING_TYPES: ReadonlySet<ControlMessageType> = new Set(['triples', 'ecdsa-presign', 'eddsa-presign', 'sign']);

export type ControlMessage = z.infer<typeof controlMessage>;
export type ControlMessageType = ControlMessage['type'];
export type ControlMessageOf<T extends ControlMessageType> = Extract<ControlMessage, { type: T }>;

/** A participant refused, or gave up, its part in a run this node started; the run is aborted with this error. */
export class RunRefused extends Error {
  constructor(
    readonly from: ParticipantId,
    readonly instance: string,
    readonly reason: string,
  ) {
    super(`participant ${from} refused run ${instance}: ${reason}`);
    this.name = 'RunRefused';
  }
}

/** A control message could not be read; the receiver drops and counts it. */
export class ControlMessageRejected extends Error {
  constructor(
    readonly from: ParticipantId,
    readonly reason: string,
  ) {
    super(`control message from participant ${from} rejected: ${reason}`);
    this.name = 'ControlMessageRejected';
  }
}

/** `kind ‖ body`: one mesh payload. */
export function meshPayload(kind: number, body: Uint8Array): Uint8Array {
  const payload = new Uint8Array(1 + body.length);
  payload[0] = kind;
  payload.set(body, 1);
  return payload;
}

export function encodeControlMessage(message: ControlMessage): Uint8Array {
  return meshPayload(MESH_PAYLOAD_KIND.control, new TextEncoder().encode(JSON.stringify(message)));
}

export function decodeControlMessage(from: ParticipantId, body: Uint8Array): ControlMessage {
  let json: unknown;
  try {
    json = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(body));
  } catch {
    throw new ControlMessageRejected(from, 'not UTF-8 JSON');
  }
  const parsed = controlMessage.safeParse(json);
  if (!parsed.success) throw new ControlMessageRejected(from, parsed.error.issues.map((issue) => `${issue.path.join('.') || '(message)'}: ${issue.message}`).join('; '));
  return parsed.data;
}

/** Handles one accepted control message; a rejection is thrown as {@link ControlMessageRejected} (or any error) and counted. */
export type ControlHandler<T extends ControlMessageType> = (from: ParticipantId, message: ControlMessageOf<T>) => Promise<void>;

export interface ControlChannelOptions {
  /** This node's participant id: a refusal goes to every other participant of the refused run. */
  readonly me: ParticipantId;
  /** Sends a mesh payload to one peer (MeshTransport.send). */
  readonly send: (to: ParticipantId, payload: Uint8Array) => Promise<void>;
  /** Control messages dropped, by reason: `malformed`, `no-handler`, `refused`. */
  readonly rejected: Counter;
  /** Where refusals are reported (a log line); they are normal when peers' views differ briefly. */
  readonly onRefused: (error: unknown, from: ParticipantId, type: string) => void;
}

/** Sends control messages and dispatches received ones to the handler registered for their type. */
export class ControlChannel {
  private readonly handlers = new Map<ControlMessageType, ControlHandler<ControlMessageType>>();

  constructor(private readonly options: ControlChannelOptions) {}

  on<T extends ControlMessageType>(type: T, handler: ControlHandler<T>): void {
    if (this.handlers.has(type)) throw new Error(`a handler for ${type} control messages is already registered`);
    this.handlers.set(type, handler as unknown as ControlHandler<ControlMessageType>);
  }

  /** Sends to every listed participant; resolves when all accepted it, rejects with the first failure. */
  async sendTo(recipients: readonly ParticipantId[], message: ControlMessage): Promise<void> {
    const payload = encodeControlMessage(message);
    await Promise.all(recipients.map((to) => this.options.send(to, payload)));
  }

  /** Entry point for a mesh payload of kind `control` (the kind byte already removed). */
  receive(from: ParticipantId, body: Uint8Array): void {
    let message: ControlMessage;
    try {
      message = decodeControlMessage(from, body);
    } catch (error) {
      this.options.rejected.inc({ reason: 'malformed' });
      this.options.onRefused(error, from, 'unknown');
      return;
    }
    const handler = this.handlers.get(message.type);
    if (handler === undefined) {
      this.options.rejected.inc({ reason: 'no-handler' });
      return;
    }
    handler(from, message).catch((error: unknown) => {
      this.options.rejected.inc({ reason: 'refused', type: message.type });
      this.options.onRefused(error, from, message.type);
      // The run's other participants would otherwise wait for this node until its timeout: the sender,
      // and the followers that accepted, each holding a slot (with sets of 5, three of them per refusal).
      if (RUN_STARTING_TYPES.has(message.type) && 'instance' in message && 'participants' in message) {
        const reason = (error instanceof Error ? error.message : String(error)).slice(0, 500);
        const others = new Set([from, ...message.participants].filter((id) => id !== this.options.me));
        for (const to of others) this.sendTo([to], { type: 'run-refused', instance: message.instance, reason }).catch(() => undefined);
      }
    });
  }
}
