/**
 * The operator commands' way to the chain, over @near-js: views of a contract, function calls signed
 * with an account's key, and deploying wasm to that account. Every failure becomes a
 * {@link CommandFailed} that says what was attempted and why it failed — the RPC unreachable, or the
 * contract's own text.
 */
import { Account } from '@near-js/accounts';
import type { KeyPair } from '@near-js/crypto';
import { JsonRpcProvider } from '@near-js/providers';
import { KeyPairSigner } from '@near-js/signers';
import { actionCreators, type Action } from '@near-js/transactions';
import type { FinalExecutionOutcome } from '@near-js/types';
import { getTransactionLastResult } from '@near-js/utils';
import { SIGNER_ERRORS } from '../../shared/near/signer-abi.js';
import { rpcFailure } from './rpc-errors.js';

/** An account and the key it signs with (`--account`, `--secret-key`). */
export interface Caller {
  readonly accountId: string;
  readonly keyPair: KeyPair;
}

export interface CallOutcome {
  readonly transactionHash: string;
  /** What the method returned, parsed as JSON where it is JSON; null for nothing. */
  readonly result: unknown;
  /** The logs of every receipt, in execution order. */
  readonly logs: readonly string[];
}

/** What the signer's terse texts mean for an operator, appended to them. */
const SIGNER_HINTS: Readonly<Record<string, string>> = {
  [SIGNER_ERRORS.uninitialized]: ' (the contract has no state yet: chainsig contract init)',
};

export class ContractClient {
  private readonly provider: JsonRpcProvider;

  constructor(
    readonly rpcUrl: string,
    readonly contractId: string,
  ) {
    this.provider = new JsonRpcProvider({ url: rpcUrl });
  }

  async view(method: string, args: Record<string, unknown> = {}): Promise<unknown> {
    try {
      return (await this.provider.callFunction(this.contractId, method, args)) ?? null;
    } catch (error) {
      throw rpcFailure(this.rpcUrl, `view ${method} of ${this.contractId}`, error, SIGNER_HINTS);
    }
  }

  /** Calls `method` as `caller` and waits until the call and all its receipts are final, so a view right after sees it. */
  async call(caller: Caller, method: string, args: Record<string, unknown>, gas: bigint, deposit = 0n): Promise<CallOutcome> {
    return this.send(caller, this.contractId, [actionCreators.functionCall(method, args, gas, deposit)], `${method} on ${this.contractId} as ${caller.accountId}`);
  }

  /** Deploys `wasm` to the caller's own account (NEAR deploys code only to the account that signs). */
  async deploy(caller: Caller, wasm: Uint8Array): Promise<CallOutcome> {
    return this.send(caller, caller.accountId, [actionCreators.deployContract(wasm)], `deploying to ${caller.accountId}`);
  }

  /** The `code_hash` NEAR reports for an account (base58 SHA-256 of its wasm; all ones in base58 for none). */
  async codeHash(accountId: string): Promise<string> {
    try {
      return (await this.provider.viewAccount(accountId)).code_hash;
    } catch (error) {
      throw rpcFailure(this.rpcUrl, `view_account ${accountId}`, error);
    }
  }

  private async send(caller: Caller, receiverId: string, actions: Action[], doing: string): Promise<CallOutcome> {
    const account = new Account(caller.accountId, this.provider, new KeyPairSigner(caller.keyPair));
    let outcome: FinalExecutionOutcome;
    try {
      outcome = await account.signAndSendTransaction({ receiverId, actions, waitUntil: 'FINAL' });
    } catch (error) {
      throw rpcFailure(this.rpcUrl, doing, error, SIGNER_HINTS);
    }
    return {
      transactionHash: outcome.transaction_outcome.id,
      result: getTransactionLastResult(outcome) ?? null,
      logs: outcome.receipts_outcome.flatMap((receipt) => receipt.outcome.logs),
    };
  }
}
