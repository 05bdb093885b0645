/**
 * The REAL MPC signer contract (contract/mpc-signer) hosted in process by contract/testing's
 * `ContractTestbed`, behind the node's `Chain` port: one shared contract state, one `Chain` per node
 * account. Every call runs the contract's own state machine (a refused call throws `ChainCallFailed`
 * with the contract's panic text, as the NEAR RPC adapter does) and lands in its own block,
 * so key event attempts expire after `key_event_timeout_blocks` calls, as on a chain.
 */
import { ContractPanic } from '../../contract/host.js';
import { mpcSignerContract } from '../../contract/mpc-signer/contract.js';
import { ContractTestbed } from '../../contract/testing/test-host.js';
import { MOCK_VALID_ATTESTATION, SIGNER_METHODS } from '../../shared/near/signer-abi.js';
import type { CallOptions, Chain } from '../../services/mpc-node/chain/chain.js';
import { ChainCallFailed, ChainUnavailable } from '../../services/mpc-node/chain/errors.js';

export class InProcessSignerContract {
  readonly testbed: ContractTestbed;
  /** `account/method` pairs whose calls never reach the contract (the RPC is unreachable for them). */
  private readonly unreachable = new Set<string>();

  constructor(readonly contractId = 'signer.test') {
    this.testbed = new ContractTestbed(mpcSignerContract, contractId);
  }

  /** `init` as the contract account (it is private). */
  init(args: Record<string, unknown>): void {
    this.call(this.contractId, 'init', args);
  }

  /** `submit_participant_info` with a mock attestation from `accountId`, as its node does at start. */
  register(accountId: string, tlsPublicKey: string): void {
    this.call(accountId, SIGNER_METHODS.submitParticipantInfo, { proposed_participant_attestation: MOCK_VALID_ATTESTATION, tls_public_key: tlsPublicKey });
  }

  view(method: string, args: Record<string, unknown> = {}): unknown {
    try {
      return this.testbed.view(method, args);
    } catch (error) {
      if (error instanceof ContractPanic) throw new ChainCallFailed(method, error.message, null, null);
      throw error;
    }
  }

  /** Calls of `method` from `accountId` fail with `ChainUnavailable` and change nothing, until `reachAgain`. */
  makeUnreachable(accountId: string, method: string): void {
    this.unreachable.add(`${accountId}/${method}`);
  }

  reachAgain(): void {
    this.unreachable.clear();
  }

  /** One transaction from `accountId`, in its own block. */
  call(accountId: string, method: string, args: Record<string, unknown>, options: CallOptions = {}): unknown {
    this.testbed.advanceBlocks(1);
    const outcome = this.testbed.call(method, args, {
      predecessor: accountId,
      ...(options.deposit === undefined ? {} : { deposit: options.deposit }),
      ...(options.gas === undefined ? {} : { gas: options.gas }),
    });
    if (outcome.status === 'panic') throw new ChainCallFailed(method, outcome.error ?? null, null, null);
    return outcome.value ?? null;
  }

  /** The `Chain` a node with account `accountId` uses; calls are asynchronous, as over RPC. */
  chainFor(accountId: string): Chain {
    return {
      accountId,
      contractId: this.contractId,
      view: async (method, args) => {
        await Promise.resolve();
        return this.view(method, args);
      },
      call: async (method, args, options) => {
        await Promise.resolve();
        if (this.unreachable.has(`${accountId}/${method}`)) throw new ChainUnavailable(method, 10, { cause: new Error('made unreachable by the test') });
        return this.call(accountId, method, args, options);
      },
      blockHeight: async () => Number(this.testbed.blockHeight),
    };
  }
}
