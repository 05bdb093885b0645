/**
 * The node's port to the chain: views on the MPC signer contract, calls signed by the node's own
 * account key, and the head height. `MpcSignerClient` types the participant methods the node sends
 * with the argument shapes the contract reads (contract/mpc-signer, docs/contracts.md).
 */
import type { SignatureRequest } from '../../../contract/mpc-signer/sign-request.js';
import type { SignatureResponse } from '../../../contract/mpc-signer/signature-response.js';
import type { DomainConfig, KeyEventId } from '../../../contract/mpc-signer/types.js';
import { parseContractState, type ContractView } from './contract-state.js';

export interface CallOptions {
  readonly gas?: bigint;
  readonly deposit?: bigint;
}

export interface Chain {
  /** The account the node signs its calls with. */
  readonly accountId: string;
  /** The MPC signer contract every view and call goes to. */
  readonly contractId: string;
  /** A view method's JSON result. */
  view(method: string, args?: Record<string, unknown>): Promise<unknown>;
  /** Sends a function call as `accountId`, waits for its final outcome and returns the JSON it returned (null for none). */
  call(method: string, args: Record<string, unknown>, options?: CallOptions): Promise<unknown>;
  blockHeight(): Promise<number>;
}

/** Participant methods do a few storage reads and writes; 100 Tgas leaves ample room (a transaction may carry 300). */
export const PARTICIPANT_CALL_GAS = 100n * 10n ** 12n;

/** The MPC signer's participant methods, each sent with the node's own key as the contract requires. */
export class MpcSignerClient {
  constructor(readonly chain: Chain) {}

  async state(): Promise<ContractView> {
    return parseContractState(await this.chain.view('state'));
  }

  /** The oldest yield still waiting for `request` (near/mpc's `get_pending_request`), or null when none is. */
  async pendingRequest(request: SignatureRequest): Promise<{ readonly data_id: string } | null> {
    const pending = await this.chain.view('get_pending_request', { request });
    return pending === null ? null : (pending as { data_id: string });
  }

  async respond(request: SignatureRequest, response: SignatureResponse): Promise<void> {
    await this.participantCall('respond', { request, response });
  }

  async voteAddDomains(domains: readonly DomainConfig[]): Promise<void> {
    await this.participantCall('vote_add_domains', { domains });
  }

  async startKeygenInstance(keyEventId: KeyEventId): Promise<void> {
    await this.participantCall('start_keygen_instance', { key_event_id: keyEventId });
  }

  /** `publicKey` in NEAR form of the domain's curve (`secp256k1:…` / `ed25519:…`). */
  async votePk(keyEventId: KeyEventId, publicKey: string): Promise<void> {
    await this.participantCall('vote_pk', { key_event_id: keyEventId, public_key: publicKey });
  }

  async startReshareInstance(keyEventId: KeyEventId): Promise<void> {
    await this.participantCall('start_reshare_instance', { key_event_id: keyEventId });
  }

  async voteReshared(keyEventId: KeyEventId): Promise<void> {
    await this.participantCall('vote_reshared', { key_event_id: keyEventId });
  }

  async voteAbortKeyEventInstance(keyEventId: KeyEventId): Promise<void> {
    await this.participantCall('vote_abort_key_event_instance', { key_event_id: keyEventId });
  }

  // None of these methods returns a value, so the result is dropped.
  private async participantCall(method: string, args: Record<string, unknown>): Promise<void> {
    await this.chain.call(method, args, { gas: PARTICIPANT_CALL_GAS, deposit: 0n });
  }
}
