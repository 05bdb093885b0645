/**
 * Followers' `shares-stored` confirmations for the owner's triple batches and presign runs. A run can
 * end at the owner and not at a follower (the owner's last message to it lost): the owner then holds
 * shares whose counterparts do not exist — a presignature that can never sign, triples every presign
 * naming them is refused for. So the owner stores, and offers, its shares only once every follower
 * said it stored its own; when a confirmation does not come, the owner drops its shares, and what may
 * be left is a follower's share nobody will ever name.
 */
import type { ParticipantId } from '../../../shared/crypto/protocol.js';

interface Waiting {
  readonly pending: Set<ParticipantId>;
  /** Ends the wait: true once every follower confirmed, false when abandoned. */
  readonly settle: (confirmed: boolean) => void;
}

export interface ExpectedConfirmations {
  /** True once every follower confirmed, false if `timeoutMs` passed first or the wait was abandoned. */
  confirmed(timeoutMs: number): Promise<boolean>;
  /** Stops waiting (the run ended either way). */
  cancel(): void;
}

export class StoredConfirmations {
  private readonly waiting = new Map<string, Waiting>();

  /** Starts collecting confirmations for `instance` from `followers`; call before the followers are told to run it. */
  expect(instance: string, followers: readonly ParticipantId[]): ExpectedConfirmations {
    let settle!: (confirmed: boolean) => void;
    const settled = new Promise<boolean>((resolve) => (settle = resolve));
    const waiting: Waiting = { pending: new Set(followers), settle };
    this.waiting.set(instance, waiting);
    if (waiting.pending.size === 0) settle(true);
    return {
      confirmed: async (timeoutMs) => {
        let timer: NodeJS.Timeout | undefined;
        const timedOut = new Promise<false>((resolve) => (timer = setTimeout(() => resolve(false), timeoutMs)));
        try {
          return await Promise.race([settled, timedOut]);
        } finally {
          clearTimeout(timer);
        }
      },
      cancel: () => {
        if (this.waiting.get(instance) === waiting) this.waiting.delete(instance);
      },
    };
  }

  /** `from` stored its share of `instance`; ignored unless it is a follower this node waits for. */
  confirm(from: ParticipantId, instance: string): void {
    const waiting = this.waiting.get(instance);
    if (waiting === undefined || !waiting.pending.delete(from)) return;
    if (waiting.pending.size === 0) waiting.settle(true);
  }

  /** Ends, unconfirmed, every wait that still needs `follower` (it stopped answering: its confirmation may never come). */
  abandonFrom(follower: ParticipantId): void {
    for (const [instance, waiting] of this.waiting) {
      if (!waiting.pending.has(follower)) continue;
      waiting.settle(false);
      this.waiting.delete(instance);
    }
  }

  /** Ends every wait as unconfirmed at once (the node stops: no confirmation will come through a stopped network). */
  abandonAll(): void {
    for (const waiting of this.waiting.values()) waiting.settle(false);
    this.waiting.clear();
  }
}
