/**
 * The node's port to the chain: views on the MPC signer contract, calls signed by the node's own
 * account key, and the head height. `MpcSignerClient` types the participant methods the node sends
 * with near/mpc 3.14's argument shapes (shared/near/signer-abi.ts), so the node works with near/mpc's
 * published contract and with our model of it alike.
 */
import {
  MOCK_VALID_ATTESTATION,
  PARTICIPANT_CALL_GAS,
  SIGNER_ERRORS,
  SIGNER_METHODS,
  type Attestation,
  type DomainConfig,
  type KeyEventId,
  type SignatureRequest,
  type SignatureResponse,
  type VerifiedAttestation,
  type YieldIndex,
} from '../../../shared/near/signer-abi.js';
import { parseContractState, type ContractView } from './contract-state.js';
import { ChainCallFailed } from './errors.js';

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

/** The MPC signer's participant methods, each sent with the node's own key as the contract requires. */
export class MpcSignerClient {
  constructor(readonly chain: Chain) {}

  /** The protocol state; `NotInitialized` also when the contract has no state yet (its `state()` then panics). */
  async state(): Promise<ContractView> {
    try {
      return parseContractState(await this.chain.view(SIGNER_METHODS.state));
    } catch (error) {
      if (error instanceof ChainCallFailed && error.panicMessage?.includes(SIGNER_ERRORS.uninitialized) === true) return { phase: 'NotInitialized' };
      throw error;
    }
  }

  /** The oldest yield still waiting for `request` (near/mpc's `get_pending_request`), or null when none is. */
  async pendingRequest(request: SignatureRequest): Promise<YieldIndex | null> {
    const pending = await this.chain.view(SIGNER_METHODS.getPendingRequest, { request });
    return pending === null ? null : (pending as YieldIndex);
  }

  /** The registration the contract holds for a mesh key (near/mpc's `get_attestation`), or null for none. */
  async attestation(tlsPublicKey: string): Promise<VerifiedAttestation | null> {
    return (await this.chain.view(SIGNER_METHODS.getAttestation, { tls_public_key: tlsPublicKey })) as VerifiedAttestation | null;
  }

  async respond(request: SignatureRequest, response: SignatureResponse): Promise<void> {
    await this.participantCall(SIGNER_METHODS.respond, { request, response });
  }

  /**
   * Registers this node's mesh identity, signed by the account key the node calls with. The attestation
   * is a mock one, which near/mpc's contract verifies as such; a TEE quote would be submitted here instead.
   */
  async submitParticipantInfo(tlsPublicKey: string, attestation: Attestation = MOCK_VALID_ATTESTATION): Promise<void> {
    await this.participantCall(SIGNER_METHODS.submitParticipantInfo, { proposed_participant_attestation: attestation, tls_public_key: tlsPublicKey });
  }

  async voteAddDomains(domains: readonly DomainConfig[]): Promise<void> {
    await this.participantCall(SIGNER_METHODS.voteAddDomains, { domains });
  }

  async startKeygenInstance(keyEventId: KeyEventId): Promise<void> {
    await this.participantCall(SIGNER_METHODS.startKeygenInstance, { key_event_id: keyEventId });
  }

  /** `publicKey` in NEAR form of the domain's curve (`secp256k1:…` / `ed25519:…`). */
  async votePk(keyEventId: KeyEventId, publicKey: string): Promise<void> {
    await this.participantCall(SIGNER_METHODS.votePk, { key_event_id: keyEventId, public_key: publicKey });
  }

  async startReshareInstance(keyEventId: KeyEventId): Promise<void> {
    await this.participantCall(SIGNER_METHODS.startReshareInstance, { key_event_id: keyEventId });
  }

  async voteReshared(keyEventId: KeyEventId): Promise<void> {
    await this.participantCall(SIGNER_METHODS.voteReshared, { key_event_id: keyEventId });
  }

  async voteAbortKeyEventInstance(keyEventId: KeyEventId): Promise<void> {
    await this.participantCall(SIGNER_METHODS.voteAbortKeyEventInstance, { key_event_id: keyEventId });
  }

  /** Cancels the key generation that ends at `nextDomainId` (the contract's `domains.next_domain_id`): generated keys stay. */
  async voteCancelKeygen(nextDomainId: number): Promise<void> {
    await this.participantCall(SIGNER_METHODS.voteCancelKeygen, { next_domain_id: nextDomainId });
  }

  async voteCancelResharing(): Promise<void> {
    await this.participantCall(SIGNER_METHODS.voteCancelResharing, {});
  }

  // None of these methods returns a value, so the result is dropped.
  private async participantCall(method: string, args: Record<string, unknown>): Promise<void> {
    await this.chain.call(method, args, { gas: PARTICIPANT_CALL_GAS, deposit: 0n });
  }
}
