/**
 * Test support for the MPC signer: participant sets, a contract brought to Running with real root
 * keys, and single-key signatures made the way the network's output looks (the child secret is
 * root + tweak, which tests may compute because they pick the root secret themselves).
 */
import { ed25519 } from '@noble/curves/ed25519.js';
import { secp256k1 } from '@noble/curves/secp256k1.js';
import { bytesToNumberLE, numberToBytesBE, numberToBytesLE } from '@noble/curves/utils.js';
import { sha256, sha512 } from '@noble/hashes/sha2.js';
import { bytesToHex, concatBytes, utf8ToBytes } from '@noble/hashes/utils.js';
import { deriveTweak, ed25519TweakScalar, secp256k1TweakScalar } from '../../shared/crypto/kdf.js';
import { formatNearPublicKey } from '../../shared/near/keys.js';
import { MOCK_VALID_ATTESTATION, type DomainConfig, type EcdsaSignatureResponse, type Ed25519SignatureResponse } from '../../shared/near/signer-abi.js';
import { mpcSignerContract } from '../mpc-signer/contract.js';
import { type CallOutcome, ContractTestbed } from './test-host.js';

/** The two signature schemes of the test roots. */
export type SignatureScheme = 'Secp256k1' | 'Ed25519';

export const SIGNER_ACCOUNT = 'signer.near';

/** A node's participant info: a URL and a mesh identity key derived from the account name. */
export function participantInfo(account: string) {
  const seed = sha256(utf8ToBytes(`node-key:${account}`));
  return {
    url: `https://${account.replace(/\./g, '-')}.mpc.example`,
    tls_public_key: formatNearPublicKey({ curve: 'ed25519', point: ed25519.Point.fromBytes(ed25519.getPublicKey(seed)) }),
  };
}

/** The domain config our tests add for a scheme: CaitSith for secp256k1, FROST for Ed25519, reconstruction threshold 2. */
export function domainConfig(id: number, scheme: SignatureScheme, reconstructionThreshold = 2): DomainConfig {
  return { id, protocol: scheme === 'Secp256k1' ? 'CaitSith' : 'Frost', reconstruction_threshold: reconstructionThreshold, purpose: 'Sign' };
}

/** `{participants: {next_id, participants: [[account, id, info]]}, threshold}` with ids in list order from `firstId`. */
export function thresholdParameters(accounts: readonly (readonly [string, number])[], threshold: number, nextId?: number) {
  return {
    participants: {
      next_id: nextId ?? Math.max(...accounts.map(([, id]) => id)) + 1,
      participants: accounts.map(([account, id]): [string, number, ReturnType<typeof participantInfo>] => [account, id, participantInfo(account)]),
    },
    threshold,
  };
}

export const NODES = ['node0.near', 'node1.near', 'node2.near'] as const;
export const THREE_NODES = thresholdParameters(NODES.map((account, id) => [account, id] as const), 2);

/** Root secrets the tests own: the secp256k1 key is big-endian, the Ed25519 one a scalar (as in near/mpc's KDF tests). */
export const ROOT_SECRET = 0x1be2d390d2a3b5c70752bdd3fd3b7151f064cd7ca05322c010d2ef76727fce31n;
export const SECP_ROOT_SECRET = ROOT_SECRET;
export const ED_ROOT_SCALAR = ed25519.Point.Fn.create(bytesToNumberLE(numberToBytesBE(ROOT_SECRET, 32)));

export function rootPublicKey(scheme: SignatureScheme): string {
  return scheme === 'Secp256k1'
    ? formatNearPublicKey({ curve: 'secp256k1', point: secp256k1.Point.BASE.multiply(SECP_ROOT_SECRET) })
    : formatNearPublicKey({ curve: 'ed25519', point: ed25519.Point.BASE.multiply(ED_ROOT_SCALAR) });
}

export function expectSuccess(outcome: CallOutcome): CallOutcome {
  if (outcome.status !== 'success') throw new Error(`expected success, got panic: ${outcome.error}`);
  return outcome;
}

/** `submit_participant_info` with a mock attestation, signed by the node's account key: what lets it act. */
export function registerNode(testbed: ContractTestbed, node: string): void {
  expectSuccess(testbed.call('submit_participant_info', { proposed_participant_attestation: MOCK_VALID_ATTESTATION, tls_public_key: participantInfo(node).tls_public_key }, { predecessor: node }));
}

/** Runs one key generation attempt for the domain being generated: the leader starts it, every node votes `key`. */
export function generateKey(testbed: ContractTestbed, nodes: readonly string[], domainId: number, key: string, epochId = 0, attemptId = 0): void {
  const keyEventId = { epoch_id: epochId, domain_id: domainId, attempt_id: attemptId };
  expectSuccess(testbed.call('start_keygen_instance', { key_event_id: keyEventId }, { predecessor: nodes[0]! }));
  for (const node of nodes) expectSuccess(testbed.call('vote_pk', { key_event_id: keyEventId, public_key: key }, { predecessor: node }));
}

/** A signer contract in Running with three nodes (threshold 2) and the given domains keyed by the test roots. */
export function runningSigner(schemes: readonly SignatureScheme[] = ['Secp256k1', 'Ed25519']): ContractTestbed {
  const testbed = new ContractTestbed(mpcSignerContract, SIGNER_ACCOUNT);
  expectSuccess(testbed.call('init', { parameters: THREE_NODES }, { predecessor: SIGNER_ACCOUNT }));
  for (const node of NODES) registerNode(testbed, node);
  if (schemes.length === 0) return testbed;
  const domains = schemes.map((scheme, id) => domainConfig(id, scheme));
  for (const node of NODES) expectSuccess(testbed.call('vote_add_domains', { domains }, { predecessor: node }));
  schemes.forEach((scheme, id) => generateKey(testbed, NODES, id, rootPublicKey(scheme)));
  return testbed;
}

/** The response the network would give for `payload` signed under (predecessor, path), using the test root. */
export function ecdsaResponse(predecessor: string, path: string, payload: Uint8Array, rootSecret = SECP_ROOT_SECRET): EcdsaSignatureResponse {
  const child = secp256k1.Point.Fn.create(rootSecret + secp256k1TweakScalar(deriveTweak(predecessor, path)));
  const signature = secp256k1.Signature.fromBytes(secp256k1.sign(payload, secp256k1.Point.Fn.toBytes(child), { prehash: false, format: 'recovered' }), 'recovered');
  const recovery = signature.recovery!;
  const bigR = Uint8Array.from([0x02 + (recovery & 1), ...secp256k1.Point.Fn.toBytes(signature.r)]);
  return { scheme: 'Secp256k1', big_r: { affine_point: bytesToHex(bigR) }, s: { scalar: bytesToHex(secp256k1.Point.Fn.toBytes(signature.s)) }, recovery_id: recovery };
}

/** RFC 8032 signing with a raw scalar (the derived key has no seed), deterministic nonce from the message. */
export function ed25519Response(predecessor: string, path: string, message: Uint8Array, rootScalar = ED_ROOT_SCALAR): Ed25519SignatureResponse {
  const Fn = ed25519.Point.Fn;
  const secret = Fn.create(rootScalar + ed25519TweakScalar(deriveTweak(predecessor, path)));
  const publicKey = ed25519.Point.BASE.multiply(secret).toBytes();
  const nonce = Fn.create(bytesToNumberLE(sha512(concatBytes(utf8ToBytes('test nonce'), numberToBytesLE(secret, 32), message))));
  const bigR = ed25519.Point.BASE.multiply(nonce).toBytes();
  const challenge = Fn.create(bytesToNumberLE(sha512(concatBytes(bigR, publicKey, message))));
  const s = Fn.create(nonce + challenge * secret);
  return { scheme: 'Ed25519', signature: [...concatBytes(bigR, numberToBytesLE(s, 32))] };
}

/** The tweak as the contract stores it in a `SignatureRequest`: 32 numbers. */
export function tweakBytes(predecessor: string, path: string): number[] {
  return [...deriveTweak(predecessor, path)];
}
