/**
 * Runs this node's part of one key event attempt over the mesh: DKG for keygen, reshare for resharing.
 * Every failure comes out as a {@link KeyEventAttemptFailed} naming the culprit when one is known.
 */
import type { KeyEventId } from '../../../shared/near/signer-abi.js';
import { ProtocolAbort } from '../../../shared/crypto/errors.js';
import type { CurveId } from '../../../shared/crypto/group.js';
import type { KeyShare } from '../../../shared/crypto/key-share.js';
import { createDkg, createReshare } from '../../../shared/crypto/keygen/index.js';
import { ascending, type ParticipantId, type Protocol } from '../../../shared/crypto/protocol.js';
import type { KeygenJob, ReshareJob, ServeJob } from '../chain/jobs.js';
import { MeshSendError } from '../mesh/transport.js';
import type { NodeContext } from '../node-context.js';
import { ParticipantRemoved, ParticipantUnreachable } from '../peer-network.js';
import { ProtocolTimeout } from '../protocol-router.js';
import { KeyEventAttemptFailed, ReshareInputMissing, type KeyEventKind } from './errors.js';
import { keyEventInstanceId } from './instance-id.js';
import { compressedPublicKey, curveOfScheme } from './public-keys.js';

const idsOf = (entries: KeygenJob['participants']): ParticipantId[] => ascending(entries.map(([, id]) => id));

export async function runKeyEventProtocol(context: NodeContext, job: KeygenJob | ReshareJob, serve: ServeJob | undefined): Promise<KeyShare> {
  const id = job.keyEventId;
  const curve = curveOfScheme(job.domain.scheme);
  const instance = keyEventInstanceId(context.contract.chain.contractId, job.kind, id);
  const participants = idsOf(job.participants);
  const mine = job.participants.find(([account]) => account === context.accountId);
  if (mine === undefined || mine[1] !== context.me) {
    throw new KeyEventAttemptFailed(job.kind, id, `the contract lists ${context.accountId} as participant ${mine?.[1] ?? 'none'}, but this node is participant ${context.me}`, undefined);
  }
  let protocol: Protocol<KeyShare | undefined>;
  try {
    protocol =
      job.kind === 'keygen'
        ? createDkg({ curve, sessionId: instance, participants, threshold: job.threshold, me: context.me })
        : await reshareProtocol(context, job, serve, curve, instance, participants);
  } catch (error) {
    if (error instanceof ReshareInputMissing) throw new KeyEventAttemptFailed(job.kind, id, error.message, undefined, { cause: error });
    throw new KeyEventAttemptFailed(job.kind, id, `cannot configure the protocol: ${(error as Error).message}`, undefined, { cause: error });
  }
  let output: KeyShare | undefined;
  try {
    output = await context.network.router.run(instance, protocol, participants, context.protocolTimeoutMs);
  } catch (error) {
    throw asAttemptFailure(job.kind, id, error);
  }
  // Only members of the new set get a reshare job, so every run here ends with a share.
  if (output === undefined) throw new KeyEventAttemptFailed(job.kind, id, 'the protocol ended without a share for this node', undefined);
  return output;
}

/**
 * Dealers are the previous participants that are also in the new set. Only members of the new set have
 * a reshare job (jobsFor), so a leaving participant never runs the protocol and cannot deal; the
 * contract admits a new set only if at least the old threshold of old participants stays, so these
 * dealers always cover the old threshold. Every dealer must take part, so using all of them (rather than
 * exactly the threshold) costs nothing extra in waiting and spreads the dealing.
 */
async function reshareProtocol(
  context: NodeContext,
  job: ReshareJob,
  serve: ServeJob | undefined,
  curve: CurveId,
  sessionId: Uint8Array,
  newParticipants: readonly ParticipantId[],
): Promise<Protocol<KeyShare | undefined>> {
  const id = job.keyEventId;
  const newSet = new Set(newParticipants);
  const dealers = idsOf(job.previousParticipants).filter((participant) => newSet.has(participant));
  if (dealers.length < job.previousThreshold) {
    throw new ReshareInputMissing(id, `${dealers.length} previous participants stay, fewer than the old threshold ${job.previousThreshold}`);
  }
  const publicKey = compressedPublicKey(job.publicKey, curve);
  let oldShare: KeyShare | undefined;
  if (dealers.includes(context.me)) {
    // While resharing, the serve job is the previous running state: its epoch and keyset entry name the old share.
    const entry = serve?.keyset.find((key) => key.domain_id === id.domain_id);
    if (serve === undefined || entry === undefined) throw new ReshareInputMissing(id, 'the previous keyset is unknown, so the old share cannot be found');
    const stored = await context.stores.keyShares.getForKey(id.domain_id, serve.epochId, publicKey, entry.attempt);
    if (stored === undefined) throw new ReshareInputMissing(id, `no share of key ${job.publicKey} from epoch ${serve.epochId} attempt ${entry.attempt} is stored`);
    oldShare = stored.share;
  }
  return createReshare({
    curve,
    sessionId,
    me: context.me,
    publicKey,
    dealers,
    oldThreshold: job.previousThreshold,
    newParticipants,
    newThreshold: job.threshold,
    ...(oldShare === undefined ? {} : { oldShare }),
  });
}

function asAttemptFailure(kind: KeyEventKind, id: KeyEventId, error: unknown): KeyEventAttemptFailed {
  if (error instanceof ProtocolAbort) return new KeyEventAttemptFailed(kind, id, `protocol aborted at ${error.step}`, error.culprit, { cause: error });
  if (error instanceof ProtocolTimeout) return new KeyEventAttemptFailed(kind, id, `no result within ${error.timeoutMs} ms`, undefined, { cause: error });
  if (error instanceof MeshSendError) return new KeyEventAttemptFailed(kind, id, `peer unreachable (${error.reason})`, error.to, { cause: error });
  if (error instanceof ParticipantUnreachable || error instanceof ParticipantRemoved) return new KeyEventAttemptFailed(kind, id, error.message, error.participant, { cause: error });
  return new KeyEventAttemptFailed(kind, id, (error as Error)?.message ?? String(error), undefined, { cause: error });
}
