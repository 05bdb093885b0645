/**
 * Chain faults for scenario tests: wraps a node's `Chain` port (services/mpc-node/chain/chain.ts, under
 * its `MpcSignerClient`) so that, by rule and seeded randomness (./seed.ts), calls are refused, slow,
 * or unanswered (`ChainUnavailable`, after the call landed or before it reached the chain), and views
 * and the head height fail or are slow. Every operation and what became of it is recorded, so a
 * scenario can count what the contract accepted.
 */
import { ChainCallFailed, ChainRequestRejected, ChainUnavailable } from '../../../services/mpc-node/chain/errors.js';
import type { Chain } from '../../../services/mpc-node/chain/chain.js';
import { SIGNER_ERRORS } from '../../../shared/near/signer-abi.js';
import type { FaultRandom } from './seed.js';

export type ChainOperationKind = 'call' | 'view' | 'blockHeight';

export type ChainFault =
  /** The chain or the RPC refuses: the operation never takes effect and the caller gets `error`. */
  | { readonly kind: 'refuse'; readonly error: (method: string) => Error }
  /** The operation takes effect `ms` later (a call lands then), and the caller hears of it then. */
  | { readonly kind: 'delay'; readonly ms: number }
  /** No answer from the RPC: `ChainUnavailable`; a call with `lands` reached the chain and took effect anyway. */
  | { readonly kind: 'unavailable'; readonly lands: boolean };

export interface ChainFaultRule {
  /** The node accounts it applies to; all when unset. */
  readonly accounts?: readonly string[];
  readonly operations: readonly ChainOperationKind[];
  /** Contract methods it applies to (calls and views); all when unset. */
  readonly methods?: readonly string[];
  /** The chance that a matching operation gets the fault, drawn from the seeded random; default 1. */
  readonly probability?: number;
  readonly fault: ChainFault;
}

/** One operation a node sent, and what became of it. */
export interface ChainOperationRecord {
  readonly accountId: string;
  readonly kind: ChainOperationKind;
  readonly method: string;
  readonly args: Record<string, unknown> | undefined;
  /** The fault it got, if any. */
  readonly fault: ChainFault['kind'] | undefined;
  /** Whether it took effect on the contract (for a call: whether it landed), whatever the caller heard. */
  readonly tookEffect: boolean;
  /** When it took effect or failed (ms since the epoch). */
  readonly at: number;
}

/**
 * What an RPC and the contract answer a `respond` they refuse, as the node's adapter reports it
 * (services/mpc-node/chain/near-rpc-chain.ts): refusals that mean this transaction will never land.
 */
export const RESPOND_REFUSALS = {
  /** The node's account key was rotated: the contract no longer matches the signing key to its attestation. */
  rotatedKey: (method: string) => new ChainCallFailed(method, `${SIGNER_ERRORS.notAttestedParticipant} (AttestationKeyMismatch)`, null, 'faulted-transaction'),
  /** The receipt ran out of gas. */
  outOfGas: (method: string) =>
    new ChainCallFailed(method, 'Exceeded the prepaid gas.', { ActionError: { index: 0, kind: { FunctionCallError: { ExecutionError: 'Exceeded the prepaid gas.' } } } }, 'faulted-transaction'),
  /** The account cannot pay for the transaction: the RPC refuses it before it runs. */
  outOfBalance: (method: string) =>
    new ChainRequestRejected(`call ${method}`, 'NotEnoughBalance', { cause: new Error('Sender does not have enough balance 0 for operation costing 242806493398730000000') }),
  /** The shard is congested: the RPC refuses new transactions for it. */
  congested: (method: string) => new ChainRequestRejected(`call ${method}`, 'ShardCongested', { cause: new Error('Shard 0 is currently congested and rejects new transactions') }),
} as const;

export class ChainFaults {
  readonly records: ChainOperationRecord[] = [];
  private rules: ChainFaultRule[] = [];

  constructor(private random: FaultRandom) {}

  /** Draws from `random` from now on: each scenario its own seed. */
  reseed(random: FaultRandom): void {
    this.random = random;
  }

  /** Adds a rule; the returned function removes it (the fault ends). */
  add(rule: ChainFaultRule): () => void {
    this.rules.push(rule);
    return () => {
      this.rules = this.rules.filter((candidate) => candidate !== rule);
    };
  }

  clear(): void {
    this.rules = [];
  }

  /** `chain` with this set's faults applied to its operations. */
  wrap(chain: Chain): Chain {
    return {
      accountId: chain.accountId,
      contractId: chain.contractId,
      view: (method, args) => this.apply(chain.accountId, 'view', method, args, () => chain.view(method, args)),
      call: (method, args, options) => this.apply(chain.accountId, 'call', method, args, () => chain.call(method, args, options)),
      blockHeight: () => this.apply(chain.accountId, 'blockHeight', 'block', undefined, () => chain.blockHeight()),
    };
  }

  /** The first matching rule whose draw hits; a rule that misses leaves the operation to the next one. */
  private faultFor(accountId: string, kind: ChainOperationKind, method: string): ChainFault | undefined {
    const rule = this.rules.find(
      (candidate) =>
        candidate.operations.includes(kind) &&
        (candidate.accounts === undefined || candidate.accounts.includes(accountId)) &&
        (candidate.methods === undefined || candidate.methods.includes(method)) &&
        (candidate.probability === undefined || this.random() < candidate.probability),
    );
    return rule?.fault;
  }

  private async apply<T>(accountId: string, kind: ChainOperationKind, method: string, args: Record<string, unknown> | undefined, operation: () => Promise<T>): Promise<T> {
    const fault = this.faultFor(accountId, kind, method);
    const record = (tookEffect: boolean) => this.records.push({ accountId, kind, method, args, fault: fault?.kind, tookEffect, at: Date.now() });
    if (fault?.kind === 'refuse') {
      record(false);
      throw fault.error(method);
    }
    if (fault?.kind === 'unavailable') {
      let landed = false;
      if (fault.lands) {
        try {
          await operation();
          landed = true;
        } catch {
          // The contract refused it: the caller hears nothing either way.
        }
      }
      record(landed);
      throw new ChainUnavailable(`${kind} ${method}`, 10, { cause: new Error('fault injected: the RPC did not answer') });
    }
    if (fault?.kind === 'delay') await new Promise((resolve) => setTimeout(resolve, fault.ms));
    try {
      const result = await operation();
      record(true);
      return result;
    } catch (error) {
      record(false);
      throw error;
    }
  }
}
