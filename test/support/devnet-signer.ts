/**
 * Brings an MPC signer on a devnet chain (our model or near/mpc's wasm, initialised with the fixtures'
 * participants) to Running with the test-owned root keys, the way near/mpc's network comes up: every
 * node registers its mesh key with a mock attestation, every node votes the domains, then per domain
 * the leader starts the key event and every node votes the root key. Tests that answer requests
 * themselves (no MPC nodes) start from here.
 */
import { actionCreators } from '@near-js/transactions';
import { domainConfig, participantInfo, rootPublicKey, type SignatureScheme } from '../../contract/testing/mpc-fixtures.js';
import type { LocalSigner } from '../../services/devnet/chain/index.js';
import { MOCK_VALID_ATTESTATION, PARTICIPANT_CALL_GAS, SIGNER_METHODS } from '../../shared/near/signer-abi.js';

const CALL_WAIT_MS = 30_000;

/** One participant call, run to its end; a refusal throws with the contract's failure. */
export async function callAsParticipant(node: LocalSigner, signerAccount: string, methodName: string, args: object): Promise<void> {
  const result = await node.execute(signerAccount, [actionCreators.functionCall(methodName, args, PARTICIPANT_CALL_GAS, 0n)], CALL_WAIT_MS);
  if (result.phase !== 'included' || result.status.kind === 'Failure') throw new Error(`${methodName} by ${node.accountId} failed: ${JSON.stringify(result)}`);
}

/** Domain `i` of `schemes` gets id `i` and the root key of its scheme; `nodes` are all the participants, the leader first. */
export async function bringUpSigner(nodes: readonly LocalSigner[], signerAccount: string, schemes: readonly SignatureScheme[]): Promise<void> {
  for (const node of nodes) {
    await callAsParticipant(node, signerAccount, SIGNER_METHODS.submitParticipantInfo, { proposed_participant_attestation: MOCK_VALID_ATTESTATION, tls_public_key: participantInfo(node.accountId).tls_public_key });
  }
  const domains = schemes.map((scheme, id) => domainConfig(id, scheme));
  for (const node of nodes) await callAsParticipant(node, signerAccount, SIGNER_METHODS.voteAddDomains, { domains });
  for (const [domainId, scheme] of schemes.entries()) {
    const keyEventId = { epoch_id: 0, domain_id: domainId, attempt_id: 0 };
    await callAsParticipant(nodes[0]!, signerAccount, SIGNER_METHODS.startKeygenInstance, { key_event_id: keyEventId });
    for (const node of nodes) await callAsParticipant(node, signerAccount, SIGNER_METHODS.votePk, { key_event_id: keyEventId, public_key: rootPublicKey(scheme) });
  }
}
