import { ed25519 } from '@noble/curves/ed25519.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex, utf8ToBytes } from '@noble/hashes/utils.js';
import { base58 } from '@scure/base';
import { formatNearPublicKey } from '../../shared/near/keys.js';
import {
  DEFAULT_SIGNER_CONFIG,
  MOCK_VALID_ATTESTATION,
  SIGNER_ERRORS,
  TGAS,
  protocolStateName,
  type InitializingContractState,
  type ParticipantEntry,
  type ProtocolContractState,
  type PublicKeyExtended,
  type ResharingContractState,
  type RunningContractState,
} from '../../shared/near/signer-abi.js';
import {
  domainConfig,
  ecdsaResponse,
  expectSuccess,
  generateKey,
  NODES,
  participantInfo,
  registerNode,
  rootPublicKey,
  runningSigner,
  SIGNER_ACCOUNT,
  THREE_NODES,
  thresholdParameters,
  tweakBytes,
  type SignatureScheme,
} from '../testing/mpc-fixtures.js';
import { type CallOptions, type CallOutcome, ContractTestbed } from '../testing/test-host.js';
import { mpcSignerContract } from './contract.js';

const [NODE0, NODE1, NODE2] = NODES;
const NODE3 = 'node3.near';
const STRANGER = 'mallory.near';
const DOMAINS = [domainConfig(0, 'Secp256k1'), domainConfig(1, 'Ed25519')];
const FOUR_NODES = thresholdParameters([...NODES.map((account, id) => [account, id] as const), [NODE3, 3]], 3);
/** node0 and node1 only: node2 leaves. */
const FIRST_TWO_NODES = thresholdParameters([[NODE0, 0], [NODE1, 1]], 2, 3);
/** Another account key than the one nodes register with (the testbed's default). */
const ROTATED_ACCOUNT_KEY = formatNearPublicKey({ curve: 'ed25519', point: ed25519.Point.fromBytes(ed25519.getPublicKey(sha256(utf8ToBytes('rotated account key')))) });

const proposal = (parameters: unknown, perDomainThresholds: Record<string, number> = {}) => ({ parameters, per_domain_thresholds: perDomainThresholds });
const keyEvent = (attemptId: number, domainId = 0, epochId = 0) => ({ key_event_id: { epoch_id: epochId, domain_id: domainId, attempt_id: attemptId } });
/** The model's form of near/mpc's attested-participant assertion (near/mpc wraps the same text in Rust's assertion message). */
const notAttested = (reason: 'CallerNotParticipant' | 'AttestationKeyMismatch' | 'AttestationOwnerMismatch') => `${SIGNER_ERRORS.notAttestedParticipant} (${reason})`;

/** A contract right after `init`, with the participant info of `registered` submitted. */
function initialized(parameters: unknown = THREE_NODES, registered: readonly string[] = NODES): ContractTestbed {
  const testbed = new ContractTestbed(mpcSignerContract, SIGNER_ACCOUNT);
  expectSuccess(testbed.call('init', { parameters }, { predecessor: SIGNER_ACCOUNT }));
  for (const node of registered) registerNode(testbed, node);
  return testbed;
}

function voteDomains(testbed: ContractTestbed, domains: unknown, voters: readonly string[] = NODES): void {
  for (const voter of voters) expectSuccess(testbed.call('vote_add_domains', { domains }, { predecessor: voter }));
}

const state = (testbed: ContractTestbed) => testbed.view('state') as ProtocolContractState;

interface StateByName {
  readonly Running: RunningContractState;
  readonly Initializing: InitializingContractState;
  readonly Resharing: ResharingContractState;
}

/** The state's content, after checking the contract is in state `name`. */
function stateIn<Name extends keyof StateByName>(testbed: ContractTestbed, name: Name): StateByName[Name] {
  const current = state(testbed);
  if (protocolStateName(current) !== name) throw new Error(`expected ${name}, the contract is ${protocolStateName(current)}`);
  return (current as unknown as Record<Name, StateByName[Name]>)[name];
}

/** A test root key as the contract stores it (`PublicKeyExtended`). */
function storedKey(scheme: SignatureScheme): PublicKeyExtended {
  const key = rootPublicKey(scheme);
  if (scheme === 'Secp256k1') return { Secp256k1: { near_public_key: key } };
  return { Ed25519: { near_public_key_compressed: key, edwards_point: [...base58.decode(key.slice('ed25519:'.length))] } };
}

/** Calls `method`, expects the panic `expected` (the exact text, or a pattern) and storage unchanged. */
function refused(testbed: ContractTestbed, method: string, args: unknown, caller: string | CallOptions, expected: string | RegExp): CallOutcome {
  const options = typeof caller === 'string' ? { predecessor: caller } : caller;
  const before = testbed.snapshot();
  const outcome = testbed.call(method, args, options);
  expect(outcome).toMatchObject({ status: 'panic', error: typeof expected === 'string' ? expected : expect.stringMatching(expected) });
  expect(testbed.snapshot()).toEqual(before);
  return outcome;
}

describe('init', () => {
  it('starts Running with no domains, epoch 0 and the given parameters', () => {
    expect(state(initialized())).toEqual({
      Running: {
        domains: { domains: [], next_domain_id: 0 },
        keyset: { epoch_id: 0, domains: [] },
        parameters: THREE_NODES,
        parameters_votes: { proposal_by_account: {} },
        add_domains_votes: { proposal_by_account: {} },
        previously_cancelled_resharing_epoch_id: null,
      },
    });
  });

  it('keeps near/mpc 3.14 defaults for the config fields init_config does not set', () => {
    expect(initialized().view('config')).toEqual(DEFAULT_SIGNER_CONFIG);
    const testbed = new ContractTestbed(mpcSignerContract, SIGNER_ACCOUNT);
    expectSuccess(testbed.call('init', { parameters: THREE_NODES, init_config: { key_event_timeout_blocks: 5 } }, { predecessor: SIGNER_ACCOUNT }));
    expect(testbed.view('config')).toEqual({ ...DEFAULT_SIGNER_CONFIG, key_event_timeout_blocks: 5 });
  });

  it.each([
    ['a threshold of 1', thresholdParameters([[NODE0, 0], [NODE1, 1]], 1), 'GovernanceThreshold does not meet the minimum absolute requirement'],
    ['a threshold above n', thresholdParameters([[NODE0, 0], [NODE1, 1]], 3), 'GovernanceThreshold must not exceed number of participants: max 2, found 3'],
    [
      'a threshold below 60%',
      thresholdParameters([[NODE0, 0], [NODE1, 1], [NODE2, 2], [NODE3, 3], ['node4.near', 4]], 2),
      'GovernanceThreshold is below the minimum required relative to the participant count: require at least 3, found 2',
    ],
    ['a duplicate account', thresholdParameters([[NODE0, 0], [NODE0, 1]], 2), 'Duplicate account IDs found.'],
    ['a duplicate id', thresholdParameters([[NODE0, 0], [NODE1, 0]], 2), 'Duplicate participant IDs found.'],
    ['an id not below next_id', thresholdParameters([[NODE0, 0], [NODE1, 1]], 2, 1), 'Participant ID 1 is not less than next_id 1.'],
    ['a bad account id', thresholdParameters([['Node.near', 0], [NODE1, 1]], 2), /^InvalidArguments: parameters\.participants\.participants\[0\]\[0\]: expected a valid NEAR account id/],
  ])('refuses %s', (_name, parameters, expected) => {
    refused(new ContractTestbed(mpcSignerContract, SIGNER_ACCOUNT), 'init', { parameters }, SIGNER_ACCOUNT, expected);
  });

  // near/mpc `Participants::validate` checks every id against next_id first, then duplicate ids, then duplicate accounts.
  it.each([
    ['a duplicate id and an id not below next_id', thresholdParameters([[NODE0, 0], [NODE1, 0], [NODE2, 5]], 2, 3), 'Participant ID 5 is not less than next_id 3.'],
    ['a duplicate account and a duplicate id', thresholdParameters([[NODE0, 0], [NODE0, 1], [NODE2, 1]], 2, 3), 'Duplicate participant IDs found.'],
  ])('names the fault near/mpc names for %s', (_name, parameters, expected) => {
    refused(new ContractTestbed(mpcSignerContract, SIGNER_ACCOUNT), 'init', { parameters }, SIGNER_ACCOUNT, expected);
  });

  it('refuses a tls_public_key that is not an Ed25519 key', () => {
    const withTlsKey = (tlsPublicKey: string) => {
      const parameters = structuredClone(THREE_NODES);
      parameters.participants.participants[0]![2].tls_public_key = tlsPublicKey;
      return parameters;
    };
    const testbed = new ContractTestbed(mpcSignerContract, SIGNER_ACCOUNT);
    refused(testbed, 'init', { parameters: withTlsKey(rootPublicKey('Secp256k1')) }, SIGNER_ACCOUNT, /^InvalidArguments: parameters\.participants\.participants\[0\]\[2\]\.tls_public_key: .*expected a ed25519 key, got secp256k1/);
    refused(testbed, 'init', { parameters: withTlsKey('ed25519:notbase58!') }, SIGNER_ACCOUNT, /^InvalidArguments: parameters\.participants\.participants\[0\]\[2\]\.tls_public_key: /);
  });

  it('may only be called once, by the contract account', () => {
    refused(new ContractTestbed(mpcSignerContract, SIGNER_ACCOUNT), 'init', { parameters: THREE_NODES }, NODE0, 'Unauthorized: init may only be called by the contract itself');
    refused(initialized(), 'init', { parameters: THREE_NODES }, SIGNER_ACCOUNT, 'InvalidState: the contract is already initialized');
  });

  it('leaves the other methods refusing until it runs', () => {
    const testbed = new ContractTestbed(mpcSignerContract, SIGNER_ACCOUNT);
    for (const view of ['state', 'config', 'public_key']) expect(() => testbed.view(view)).toThrow(SIGNER_ERRORS.uninitialized);
    refused(testbed, 'vote_add_domains', { domains: DOMAINS }, NODE0, SIGNER_ERRORS.uninitialized);
    refused(testbed, 'sign', { request: { path: 'p', payload_v2: { Ecdsa: '3a'.repeat(32) }, domain_id: 0 } }, { predecessor: 'alice.near', deposit: 1n }, SIGNER_ERRORS.uninitialized);
  });

  // near/mpc reads its state in every method but `version` (and the `fail_on_timeout` callback).
  it('refuses submit_participant_info and get_pending_request until it runs', () => {
    const testbed = new ContractTestbed(mpcSignerContract, SIGNER_ACCOUNT);
    refused(testbed, 'submit_participant_info', { proposed_participant_attestation: MOCK_VALID_ATTESTATION, tls_public_key: participantInfo(NODE0).tls_public_key }, NODE0, SIGNER_ERRORS.uninitialized);
    expect(() => testbed.view('get_pending_request', { request: { tweak: tweakBytes('alice.near', 'p'), payload: { Ecdsa: '3a'.repeat(32) }, domain_id: 0 } })).toThrow(SIGNER_ERRORS.uninitialized);
  });
});

describe('submit_participant_info', () => {
  const submission = (node: string, attestation: unknown = MOCK_VALID_ATTESTATION) => ({ proposed_participant_attestation: attestation, tls_public_key: participantInfo(node).tls_public_key });

  it('lets a participant act only once its node is registered with the key that signs its calls', () => {
    // Governance votes need only the participant's own account; key events need the registration.
    const testbed = initialized(THREE_NODES, []);
    voteDomains(testbed, DOMAINS);
    refused(testbed, 'start_keygen_instance', keyEvent(0), NODE0, notAttested('AttestationKeyMismatch'));
    expect(expectSuccess(testbed.call('submit_participant_info', submission(NODE0), { predecessor: NODE0 })).value).toBeNull();
    expectSuccess(testbed.call('start_keygen_instance', keyEvent(0), { predecessor: NODE0 }));
    refused(testbed, 'vote_pk', { ...keyEvent(0), public_key: rootPublicKey('Secp256k1') }, NODE1, notAttested('AttestationKeyMismatch'));
    refused(testbed, 'vote_abort_key_event_instance', keyEvent(0), NODE1, notAttested('AttestationKeyMismatch'));
    registerNode(testbed, NODE1);
    expectSuccess(testbed.call('vote_pk', { ...keyEvent(0), public_key: rootPublicKey('Secp256k1') }, { predecessor: NODE1 }));
  });

  it('moves a node to another account key: the new key acts, the old one no longer does', () => {
    const testbed = initialized();
    voteDomains(testbed, DOMAINS);
    expectSuccess(testbed.call('start_keygen_instance', keyEvent(0), { predecessor: NODE0 }));
    expectSuccess(testbed.call('submit_participant_info', submission(NODE1), { predecessor: NODE1, signerPublicKey: ROTATED_ACCOUNT_KEY }));
    refused(testbed, 'vote_pk', { ...keyEvent(0), public_key: rootPublicKey('Secp256k1') }, NODE1, notAttested('AttestationKeyMismatch'));
    expectSuccess(testbed.call('vote_pk', { ...keyEvent(0), public_key: rootPublicKey('Secp256k1') }, { predecessor: NODE1, signerPublicKey: ROTATED_ACCOUNT_KEY }));
  });

  it('refuses a Mock Invalid attestation, leaving the node unable to act', () => {
    const testbed = initialized(THREE_NODES, []);
    voteDomains(testbed, DOMAINS);
    refused(testbed, 'submit_participant_info', submission(NODE0, { Mock: 'Invalid' }), NODE0, SIGNER_ERRORS.attestationFailedVerification('InvalidMockAttestation'));
    refused(testbed, 'start_keygen_instance', keyEvent(0), NODE0, notAttested('AttestationKeyMismatch'));
  });

  // near/mpc's AttestationSubmissionError::InvalidAttestation(VerificationError::InvalidMockAttestation).
  it('refuses a Mock Invalid attestation with near/mpc text', () => {
    refused(initialized(THREE_NODES, []), 'submit_participant_info', submission(NODE0, { Mock: 'Invalid' }), NODE0, 'the submitted attestation failed verification, reason: InvalidMockAttestation');
  });

  it('refuses a TLS key that another account registered, leaving its owner able to act', () => {
    const testbed = initialized();
    voteDomains(testbed, DOMAINS);
    refused(testbed, 'submit_participant_info', submission(NODE1), STRANGER, SIGNER_ERRORS.tlsKeyOwnedByOtherAccount);
    expectSuccess(testbed.call('start_keygen_instance', keyEvent(0), { predecessor: NODE0 }));
    expectSuccess(testbed.call('vote_pk', { ...keyEvent(0), public_key: rootPublicKey('Secp256k1') }, { predecessor: NODE1 }));
  });

  it.each([
    ['a Dstack attestation while no TEE verifier is configured', submission(NODE0, { Dstack: {} }), { predecessor: NODE0 }, 'No TEE verifier is configured yet. Participants must vote one in via vote_tee_verifier_change before Dstack attestations can be submitted.'],
    ['a transaction signed with a key that is not Ed25519', submission(NODE0), { predecessor: NODE0, signerPublicKey: rootPublicKey('Secp256k1') }, 'Invalid TEE Remote Attestation: signer account key must be Ed25519'],
    ['a call forwarded through another contract', submission(NODE0), { predecessor: NODE0, signer: 'relay.near' }, SIGNER_ERRORS.callerNotSigner('relay.near', NODE0)],
    ['a tls_public_key that is not Ed25519', { ...submission(NODE0), tls_public_key: rootPublicKey('Secp256k1') }, { predecessor: NODE0 }, /^InvalidArguments: tls_public_key: .*expected a ed25519 key, got secp256k1/],
  ])('refuses %s', (_name, args, options, expected) => {
    refused(initialized(THREE_NODES, []), 'submit_participant_info', args, options, expected);
  });
});

describe('adding domains: Running → Initializing → Running', () => {
  it('needs every participant to vote for the same domains', () => {
    const testbed = initialized();
    expectSuccess(testbed.call('vote_add_domains', { domains: DOMAINS }, { predecessor: NODE0 }));
    expectSuccess(testbed.call('vote_add_domains', { domains: [DOMAINS[0]] }, { predecessor: NODE1 }));
    expectSuccess(testbed.call('vote_add_domains', { domains: DOMAINS }, { predecessor: NODE2 }));
    // Votes are kept by participant id.
    expect(stateIn(testbed, 'Running').add_domains_votes).toEqual({ proposal_by_account: { 0: DOMAINS, 1: [DOMAINS[0]], 2: DOMAINS } });
    // Changing a vote is allowed; the last participant agreeing starts key generation.
    const outcome = expectSuccess(testbed.call('vote_add_domains', { domains: DOMAINS }, { predecessor: NODE1 }));
    expect(outcome.logs).toContain('protocol state: Running -> Initializing');
    expect(state(testbed)).toEqual({
      Initializing: {
        domains: { domains: DOMAINS, next_domain_id: 2 },
        epoch_id: 0,
        generated_keys: [],
        generating_key: { epoch_id: 0, domain: DOMAINS[0], parameters: THREE_NODES, instance: null, next_attempt_id: 0 },
        cancel_votes: [],
      },
    });
  });

  it.each([
    ['a non-participant', { domains: DOMAINS }, STRANGER, `Not a participant: ${STRANGER}`],
    ['a protocol the purpose does not allow', { domains: [{ ...DOMAINS[1], purpose: 'ForeignTx' }] }, NODE0, 'Invalid protocol-purpose combination: protocol Frost is not compatible with purpose ForeignTx'],
    ['a reconstruction threshold of 1', { domains: [domainConfig(0, 'Secp256k1', 1)] }, NODE0, 'Reconstruction threshold must be at least 2.'],
    ['a reconstruction threshold above the participants', { domains: [domainConfig(0, 'Secp256k1', 4)] }, NODE0, 'Reconstruction threshold 4 exceeds participant count 3.'],
    ['a reconstruction threshold above the governance threshold', { domains: [domainConfig(0, 'Secp256k1', 3)] }, NODE0, 'GovernanceThreshold 2 is below the largest ReconstructionThreshold 3'],
    ['DamgardEtAl without an honest majority of 2t - 1', { domains: [{ id: 0, protocol: 'DamgardEtAl', reconstruction_threshold: 3, purpose: 'Sign' }] }, NODE0, 'Protocol DamgardEtAl requires at least 5 participants, found 3.'],
    ['an unknown protocol', { domains: [{ ...DOMAINS[0], protocol: 'Schnorr' }] }, NODE0, /^InvalidArguments: domains\[0\]\.protocol: unknown variant "Schnorr"/],
    ['no domains', { domains: [] }, NODE0, 'vote_add_domains must add at least one domain'],
  ])('refuses %s', (_name, args, voter, expected) => {
    refused(initialized(), 'vote_add_domains', args, voter, expected);
  });

  it.each([
    ['ids that do not start at next_domain_id', [domainConfig(1, 'Secp256k1')], 'Newly proposed domain IDs are not contiguous. Expected id: 0'],
    ['ids with a gap', [DOMAINS[0], domainConfig(2, 'Ed25519')], 'Newly proposed domain IDs are not contiguous. Expected id: 1'],
  ])('refuses %s when the last participant agrees', (_name, domains, expected) => {
    const testbed = initialized();
    voteDomains(testbed, domains, [NODE0, NODE1]);
    refused(testbed, 'vote_add_domains', { domains }, NODE2, expected);
  });

  it('generates keys domain by domain and returns to Running with the keyset', () => {
    const testbed = initialized();
    voteDomains(testbed, DOMAINS);
    generateKey(testbed, NODES, 0, rootPublicKey('Secp256k1'));
    const afterFirst = stateIn(testbed, 'Initializing');
    expect(afterFirst.generated_keys).toEqual([{ domain_id: 0, key: storedKey('Secp256k1'), attempt: 0 }]);
    expect(afterFirst.generating_key.domain).toEqual(DOMAINS[1]);
    generateKey(testbed, NODES, 1, rootPublicKey('Ed25519'));
    const running = stateIn(testbed, 'Running');
    expect(running.domains).toEqual({ domains: DOMAINS, next_domain_id: 2 });
    expect(running.keyset).toEqual({
      epoch_id: 0,
      domains: [
        { domain_id: 0, key: storedKey('Secp256k1'), attempt: 0 },
        { domain_id: 1, key: storedKey('Ed25519'), attempt: 0 },
      ],
    });
  });

  it('keeps existing keys while more domains are added; signing waits for Running', () => {
    const testbed = runningSigner(['Secp256k1']);
    voteDomains(testbed, [domainConfig(1, 'Ed25519')]);
    expect(stateIn(testbed, 'Initializing').generated_keys).toEqual([{ domain_id: 0, key: storedKey('Secp256k1'), attempt: 0 }]);
    const sign = { request: { path: 'p', payload_v2: { Ecdsa: bytesToHex(sha256(utf8ToBytes('during keygen'))) }, domain_id: 0 } };
    refused(testbed, 'sign', sign, { predecessor: 'alice.near', deposit: 1n }, SIGNER_ERRORS.notRunningNorResharing);
    expect(() => testbed.view('public_key')).toThrow(SIGNER_ERRORS.notRunningNorResharing);
    generateKey(testbed, NODES, 1, rootPublicKey('Ed25519'));
    expect(stateIn(testbed, 'Running').keyset.domains.map((key) => key.key)).toEqual([storedKey('Secp256k1'), storedKey('Ed25519')]);
    expectSuccess(testbed.call('sign', sign, { predecessor: 'alice.near', deposit: 1n }));
  });
});

describe('key event attempts', () => {
  let testbed: ContractTestbed;
  const votePk = (attemptId: number, key = rootPublicKey('Secp256k1')) => ({ ...keyEvent(attemptId), public_key: key });
  beforeEach(() => {
    testbed = initialized();
    voteDomains(testbed, DOMAINS);
  });

  it('are started only by the leader, for the next attempt id, one at a time', () => {
    refused(testbed, 'start_keygen_instance', keyEvent(0), NODE1, SIGNER_ERRORS.voterNotLeader);
    refused(testbed, 'start_keygen_instance', keyEvent(1), NODE0, SIGNER_ERRORS.keyEventIdMismatch);
    refused(testbed, 'start_keygen_instance', keyEvent(0, 1), NODE0, SIGNER_ERRORS.keyEventIdMismatch);
    refused(testbed, 'start_keygen_instance', keyEvent(0, 0, 1), NODE0, SIGNER_ERRORS.keyEventIdMismatch);
    refused(testbed, 'start_keygen_instance', keyEvent(0), STRANGER, notAttested('CallerNotParticipant'));
    expectSuccess(testbed.call('start_keygen_instance', keyEvent(0), { predecessor: NODE0 }));
    expect(stateIn(testbed, 'Initializing').generating_key).toMatchObject({ instance: { attempt_id: 0, started_in: 1000, expires_on: 1031, completed: [], public_key: null }, next_attempt_id: 1 });
    refused(testbed, 'start_keygen_instance', keyEvent(1), NODE0, SIGNER_ERRORS.activeKeyEvent);
  });

  it('stay open for key_event_timeout_blocks after the block that started them; the leader then starts the next', () => {
    expectSuccess(testbed.call('start_keygen_instance', keyEvent(0), { predecessor: NODE0 }));
    expectSuccess(testbed.call('vote_pk', votePk(0), { predecessor: NODE0 }));
    testbed.advanceBlocks(30);
    expectSuccess(testbed.call('vote_pk', votePk(0), { predecessor: NODE1 }));
    testbed.advanceBlocks(1);
    refused(testbed, 'vote_pk', votePk(0), NODE2, SIGNER_ERRORS.noActiveKeyEvent);
    expectSuccess(testbed.call('start_keygen_instance', keyEvent(1), { predecessor: NODE0 }));
    for (const node of NODES) expectSuccess(testbed.call('vote_pk', votePk(1), { predecessor: node }));
    expect(stateIn(testbed, 'Initializing').generated_keys).toEqual([{ domain_id: 0, key: storedKey('Secp256k1'), attempt: 1 }]);
  });

  it('refuse votes without an open attempt, for another attempt, from outsiders, with malformed keys and twice', () => {
    refused(testbed, 'vote_pk', votePk(0), NODE0, SIGNER_ERRORS.noActiveKeyEvent);
    expectSuccess(testbed.call('start_keygen_instance', keyEvent(0), { predecessor: NODE0 }));
    refused(testbed, 'vote_pk', votePk(1), NODE0, SIGNER_ERRORS.keyEventIdMismatch);
    refused(testbed, 'vote_pk', votePk(0, 'secp256k1:notbase58!'), NODE0, 'Malformed payload: invalid public key "secp256k1:notbase58!": the part after the colon is not base58');
    refused(testbed, 'vote_pk', votePk(0), STRANGER, notAttested('CallerNotParticipant'));
    expectSuccess(testbed.call('vote_pk', votePk(0), { predecessor: NODE0 }));
    expect(stateIn(testbed, 'Initializing').generating_key.instance).toMatchObject({ completed: [0], public_key: storedKey('Secp256k1') });
    refused(testbed, 'vote_pk', votePk(0), NODE0, SIGNER_ERRORS.voteAlreadySubmitted);
  });

  it.each([
    ['another secp256k1 key', 'secp256k1:4zvzanBjPrvRWAr3mjdPX9sSkS8GZTZ11L6V2pcAbmHRd3HHbTyboHdWauExDmHrEoWnbhDkUwnzVEa8hg52C55p'],
    ['a key of the other curve', rootPublicKey('Ed25519')],
  ])('abort when a participant votes for %s', (_name, otherKey) => {
    expectSuccess(testbed.call('start_keygen_instance', keyEvent(0), { predecessor: NODE0 }));
    expectSuccess(testbed.call('vote_pk', votePk(0), { predecessor: NODE0 }));
    const outcome = expectSuccess(testbed.call('vote_pk', votePk(0, otherKey), { predecessor: NODE1 }));
    expect(outcome.logs).toContain('Public key disagreement; aborting key event instance.');
    expect(stateIn(testbed, 'Initializing').generating_key).toMatchObject({ instance: null, next_attempt_id: 1 });
    // The leader may start the next attempt at once.
    expectSuccess(testbed.call('start_keygen_instance', keyEvent(1), { predecessor: NODE0 }));
  });

  it('are abandoned by one vote_abort_key_event_instance from a participant that has not voted success', () => {
    refused(testbed, 'vote_abort_key_event_instance', keyEvent(0), NODE1, SIGNER_ERRORS.noActiveKeyEvent);
    expectSuccess(testbed.call('start_keygen_instance', keyEvent(0), { predecessor: NODE0 }));
    refused(testbed, 'vote_abort_key_event_instance', keyEvent(0), STRANGER, notAttested('CallerNotParticipant'));
    refused(testbed, 'vote_abort_key_event_instance', keyEvent(3), NODE1, SIGNER_ERRORS.keyEventIdMismatch);
    expectSuccess(testbed.call('vote_pk', votePk(0), { predecessor: NODE0 }));
    refused(testbed, 'vote_abort_key_event_instance', keyEvent(0), NODE0, SIGNER_ERRORS.voteAlreadySubmitted);
    expectSuccess(testbed.call('vote_abort_key_event_instance', keyEvent(0), { predecessor: NODE2 }));
    expect(stateIn(testbed, 'Initializing').generating_key).toMatchObject({ instance: null, next_attempt_id: 1 });
    refused(testbed, 'start_keygen_instance', keyEvent(0), NODE0, SIGNER_ERRORS.keyEventIdMismatch);
  });

  it('vote_cancel_keygen at the threshold returns to Running with the keys made so far, without reusing ids', () => {
    generateKey(testbed, NODES, 0, rootPublicKey('Secp256k1'));
    refused(testbed, 'vote_cancel_keygen', { next_domain_id: 1 }, NODE0, SIGNER_ERRORS.nextDomainIdMismatch);
    refused(testbed, 'vote_cancel_keygen', { next_domain_id: 2 }, STRANGER, `Not a participant: ${STRANGER}`);
    expectSuccess(testbed.call('vote_cancel_keygen', { next_domain_id: 2 }, { predecessor: NODE0 }));
    // A repeated cancel vote is accepted and counts once.
    expectSuccess(testbed.call('vote_cancel_keygen', { next_domain_id: 2 }, { predecessor: NODE0 }));
    expect(stateIn(testbed, 'Initializing').cancel_votes).toEqual([0]);
    const outcome = expectSuccess(testbed.call('vote_cancel_keygen', { next_domain_id: 2 }, { predecessor: NODE2 }));
    expect(outcome.logs).toContain('protocol state: Initializing -> Running');
    const running = stateIn(testbed, 'Running');
    expect(running.domains).toEqual({ domains: [DOMAINS[0]], next_domain_id: 2 });
    expect(running.keyset).toEqual({ epoch_id: 0, domains: [{ domain_id: 0, key: storedKey('Secp256k1'), attempt: 0 }] });
    voteDomains(testbed, [domainConfig(1, 'Ed25519')], [NODE0, NODE1]);
    refused(testbed, 'vote_add_domains', { domains: [domainConfig(1, 'Ed25519')] }, NODE2, 'Newly proposed domain IDs are not contiguous. Expected id: 2');
  });

  it('are refused outside their state', () => {
    const running = runningSigner(['Secp256k1']);
    refused(running, 'start_keygen_instance', keyEvent(0), NODE0, SIGNER_ERRORS.notInitializing);
    refused(running, 'vote_pk', votePk(0), NODE0, SIGNER_ERRORS.notInitializing);
    refused(running, 'vote_cancel_keygen', { next_domain_id: 1 }, NODE0, SIGNER_ERRORS.notInitializing);
    refused(running, 'vote_abort_key_event_instance', keyEvent(0), NODE0, SIGNER_ERRORS.notRunningNorResharing);
    refused(running, 'start_reshare_instance', keyEvent(0), NODE0, SIGNER_ERRORS.notResharing);
    refused(running, 'vote_reshared', keyEvent(0), NODE0, SIGNER_ERRORS.notResharing);
    refused(running, 'vote_cancel_resharing', {}, NODE0, SIGNER_ERRORS.notResharing);
    refused(testbed, 'vote_add_domains', { domains: [domainConfig(2, 'Ed25519')] }, NODE0, SIGNER_ERRORS.notRunning);
    refused(testbed, 'vote_new_parameters', { prospective_epoch_id: 1, proposal: proposal(THREE_NODES) }, NODE0, SIGNER_ERRORS.notRunningNorResharing);
  });
});

describe('resharing: Running → Resharing → Running', () => {
  let testbed: ContractTestbed;
  const vote = (voter: string, parameters: unknown = FOUR_NODES, epoch = 1, perDomainThresholds: Record<string, number> = {}) =>
    testbed.call('vote_new_parameters', { prospective_epoch_id: epoch, proposal: proposal(parameters, perDomainThresholds) }, { predecessor: voter });
  const voteAll = (voters: readonly string[], parameters: unknown = FOUR_NODES, epoch = 1, perDomainThresholds: Record<string, number> = {}) => {
    for (const voter of voters) expectSuccess(vote(voter, parameters, epoch, perDomainThresholds));
  };
  const startResharing = () => voteAll([NODE0, NODE1, NODE2, NODE3]);
  /** Reshares every domain: the leader starts attempt 0, every node of `nodes` votes it done. */
  const reshareAll = (nodes: readonly string[], epochId = 1) => {
    for (const domainId of [0, 1]) {
      expectSuccess(testbed.call('start_reshare_instance', keyEvent(0, domainId, epochId), { predecessor: NODE0 }));
      for (const node of nodes) expectSuccess(testbed.call('vote_reshared', keyEvent(0, domainId, epochId), { predecessor: node }));
    }
  };
  beforeEach(() => {
    testbed = runningSigner();
    registerNode(testbed, NODE3);
  });

  it('needs every proposed participant; a newcomer votes only after threshold current participants did', () => {
    refused(testbed, 'vote_new_parameters', { prospective_epoch_id: 1, proposal: proposal(FOUR_NODES) }, NODE3, SIGNER_ERRORS.voterPending);
    expectSuccess(vote(NODE0));
    refused(testbed, 'vote_new_parameters', { prospective_epoch_id: 1, proposal: proposal(FOUR_NODES) }, NODE3, SIGNER_ERRORS.voterPending);
    expectSuccess(vote(NODE1));
    expect(stateIn(testbed, 'Running').parameters_votes).toEqual({ proposal_by_account: { [NODE0]: proposal(FOUR_NODES), [NODE1]: proposal(FOUR_NODES) } });
    expectSuccess(vote(NODE3));
    expect(protocolStateName(state(testbed))).toBe('Running'); // node2 has not voted
    const outcome = expectSuccess(vote(NODE2));
    expect(outcome.logs).toContain('protocol state: Running -> Resharing');
    expect(state(testbed)).toEqual({
      Resharing: {
        previous_running_state: expect.objectContaining({ parameters: THREE_NODES, parameters_votes: { proposal_by_account: {} } }),
        reshared_keys: [],
        resharing_key: { epoch_id: 1, domain: DOMAINS[0], parameters: FOUR_NODES, instance: null, next_attempt_id: 0 },
        cancellation_requests: [],
        per_domain_thresholds: {},
      },
    });
  });

  it.each([
    ['another threshold', thresholdParameters([...NODES.map((account, id) => [account, id] as const), [NODE3, 3]], 4), {}],
    ['other reconstruction thresholds', FOUR_NODES, { 1: 3 }],
  ])('does not count votes for a proposal with %s together', (_name, otherParameters, otherThresholds) => {
    voteAll([NODE0, NODE1, NODE3]);
    expectSuccess(vote(NODE2, otherParameters, 1, otherThresholds));
    expect(protocolStateName(state(testbed))).toBe('Running');
  });

  const unregistered: ParticipantEntry = ['node4.near', 4, participantInfo('node4.near')];
  it.each([
    ['a wrong epoch', 2, FOUR_NODES, NODE0, SIGNER_ERRORS.epochMismatch(2, 1)],
    ['an outsider', 1, FOUR_NODES, STRANGER, `Not a participant: ${STRANGER}`],
    ['too few current participants kept', 1, thresholdParameters([[NODE0, 0], [NODE3, 3]], 2), NODE0, 'Set of proposed participants must contain at least `threshold` old participants.'],
    ['a changed participant id', 1, thresholdParameters([[NODE0, 0], [NODE1, 5], [NODE2, 2]], 2), NODE0, 'Existing participant node1.near changed ID from 1 to 5.'],
    ['a changed participant url', 1, { ...THREE_NODES, participants: { ...THREE_NODES.participants, participants: THREE_NODES.participants.participants.map(([account, id, info]) => [account, id, { ...info, url: `${info.url}/moved` }]) } }, NODE0, 'Existing participant node0.near changed info (url or tls_public_key).'],
    ['a reused id for a newcomer', 1, thresholdParameters([[NODE0, 0], [NODE1, 1], [NODE3, 2]], 2, 3), NODE0, 'New participant node3.near reuses ID 2 already assigned to existing participant node2.near.'],
    ['a newcomer id that skips next_id', 1, thresholdParameters([...NODES.map((account, id) => [account, id] as const), [NODE3, 4]], 3), NODE0, 'New Participant ids need to be unique and contiguous.'],
    ['a next_id beyond the newcomers', 1, thresholdParameters([...NODES.map((account, id) => [account, id] as const), [NODE3, 3]], 3, 5), NODE0, 'New Participant ids need to not skip any unused participant ids.'],
    ['a threshold below 60%', 1, thresholdParameters([...NODES.map((account, id) => [account, id] as const), [NODE3, 3]], 2), NODE0, 'GovernanceThreshold is below the minimum required relative to the participant count: require at least 3, found 2'],
    ['a threshold above n', 1, thresholdParameters([[NODE0, 0], [NODE1, 1]], 3), NODE0, 'GovernanceThreshold must not exceed number of participants: max 2, found 3'],
    ['a threshold of 1', 1, thresholdParameters([[NODE0, 0], [NODE1, 1]], 1), NODE0, 'GovernanceThreshold does not meet the minimum absolute requirement'],
    ['a participant whose node is not registered', 1, { participants: { next_id: 5, participants: [...FOUR_NODES.participants.participants, unregistered] }, threshold: 3 }, NODE0, SIGNER_ERRORS.invalidTeeStatus([unregistered])],
  ])('refuses %s', (_name, epoch, parameters, voter, expected) => {
    refused(testbed, 'vote_new_parameters', { prospective_epoch_id: epoch, proposal: proposal(parameters) }, voter, expected);
  });

  it.each([
    ['a domain that does not exist', FOUR_NODES, { 7: 3 }, 'Resharing proposal references domain ID 7, which is not in the current registry.'],
    ['a reconstruction threshold of 1', FOUR_NODES, { 1: 1 }, 'Reconstruction threshold must be at least 2.'],
    ['a reconstruction threshold above the new participants', FOUR_NODES, { 1: 5 }, 'Reconstruction threshold 5 exceeds participant count 4.'],
    ['a reconstruction threshold above the new governance threshold', FOUR_NODES, { 1: 4 }, 'GovernanceThreshold 3 is below the largest ReconstructionThreshold 4'],
    ['a domain id that is not a number', FOUR_NODES, { one: 3 }, /^InvalidArguments: proposal\.per_domain_thresholds: "one" is not a domain id/],
  ])('refuses per-domain thresholds naming %s', (_name, parameters, perDomainThresholds, expected) => {
    refused(testbed, 'vote_new_parameters', { prospective_epoch_id: 1, proposal: proposal(parameters, perDomainThresholds) }, NODE0, expected);
  });

  it('applies per-domain reconstruction thresholds when resharing completes', () => {
    voteAll([NODE0, NODE1, NODE2, NODE3], FOUR_NODES, 1, { 1: 3 });
    const resharing = stateIn(testbed, 'Resharing');
    expect(resharing.per_domain_thresholds).toEqual({ 1: 3 });
    expect(resharing.previous_running_state.domains.domains).toEqual(DOMAINS);
    reshareAll([...NODES, NODE3]);
    expect(stateIn(testbed, 'Running').domains).toEqual({ domains: [DOMAINS[0], domainConfig(1, 'Ed25519', 3)], next_domain_id: 2 });
  });

  it('reshares every domain with the new set and keeps the public keys', () => {
    startResharing();
    refused(testbed, 'start_reshare_instance', keyEvent(0, 0, 1), NODE1, SIGNER_ERRORS.voterNotLeader);
    expectSuccess(testbed.call('start_reshare_instance', keyEvent(0, 0, 1), { predecessor: NODE0 }));
    refused(testbed, 'vote_reshared', keyEvent(0, 0, 1), STRANGER, notAttested('CallerNotParticipant'));
    refused(testbed, 'vote_reshared', keyEvent(0, 0, 1), { predecessor: NODE3, signerPublicKey: ROTATED_ACCOUNT_KEY }, notAttested('AttestationKeyMismatch'));
    for (const node of [...NODES, NODE3]) expectSuccess(testbed.call('vote_reshared', keyEvent(0, 0, 1), { predecessor: node }));
    expectSuccess(testbed.call('start_reshare_instance', keyEvent(0, 1, 1), { predecessor: NODE0 }));
    for (const node of [...NODES, NODE3]) expectSuccess(testbed.call('vote_reshared', keyEvent(0, 1, 1), { predecessor: node }));
    expect(state(testbed)).toEqual({
      Running: {
        domains: { domains: DOMAINS, next_domain_id: 2 },
        keyset: {
          epoch_id: 1,
          domains: [
            { domain_id: 0, key: storedKey('Secp256k1'), attempt: 0 },
            { domain_id: 1, key: storedKey('Ed25519'), attempt: 0 },
          ],
        },
        parameters: FOUR_NODES,
        parameters_votes: { proposal_by_account: {} },
        add_domains_votes: { proposal_by_account: {} },
        previously_cancelled_resharing_epoch_id: null,
      },
    });
    expect(testbed.view('public_key')).toBe(rootPublicKey('Secp256k1'));
  });

  it('refuses a duplicate vote_reshared and one after the attempt expires', () => {
    startResharing();
    expectSuccess(testbed.call('start_reshare_instance', keyEvent(0, 0, 1), { predecessor: NODE0 }));
    expectSuccess(testbed.call('vote_reshared', keyEvent(0, 0, 1), { predecessor: NODE3 }));
    refused(testbed, 'vote_reshared', keyEvent(0, 0, 1), NODE3, SIGNER_ERRORS.voteAlreadySubmitted);
    expectSuccess(testbed.call('vote_abort_key_event_instance', keyEvent(0, 0, 1), { predecessor: NODE2 }));
    expectSuccess(testbed.call('start_reshare_instance', keyEvent(1, 0, 1), { predecessor: NODE0 }));
    testbed.advanceBlocks(31);
    refused(testbed, 'vote_reshared', keyEvent(1, 0, 1), NODE0, SIGNER_ERRORS.noActiveKeyEvent);
  });

  describe('signing while resharing', () => {
    const USER = 'alice.near';
    const PAYLOAD = sha256(utf8ToBytes('during resharing'));
    const request = { tweak: tweakBytes(USER, 'p'), payload: { Ecdsa: bytesToHex(PAYLOAD) }, domain_id: 0 };
    const respond = { request, response: ecdsaResponse(USER, 'p', PAYLOAD) };
    const signDuringResharing = () => expectSuccess(testbed.call('sign', { request: { path: 'p', payload_v2: { Ecdsa: bytesToHex(PAYLOAD) }, domain_id: 0 } }, { predecessor: USER, deposit: 1n, gas: 15n * TGAS }));

    it('uses the previous keys and takes responses from a newcomer of the proposed set', () => {
      startResharing();
      signDuringResharing();
      expectSuccess(testbed.call('respond', respond, { predecessor: NODE3 }));
    });

    it('takes no responses from a participant leaving the set', () => {
      voteAll([NODE0, NODE1], FIRST_TWO_NODES);
      expect(protocolStateName(state(testbed))).toBe('Resharing');
      signDuringResharing();
      refused(testbed, 'respond', respond, NODE2, notAttested('CallerNotParticipant'));
      expectSuccess(testbed.call('respond', respond, { predecessor: NODE1 }));
    });
  });

  it('is cancelled by the previous threshold, and the cancelled epoch is never reused', () => {
    startResharing();
    refused(testbed, 'vote_cancel_resharing', {}, NODE3, `Not a participant: ${NODE3}`);
    expectSuccess(testbed.call('vote_cancel_resharing', {}, { predecessor: NODE0 }));
    // A repeated cancel vote is accepted and counts once.
    expectSuccess(testbed.call('vote_cancel_resharing', {}, { predecessor: NODE0 }));
    expect(stateIn(testbed, 'Resharing').cancellation_requests).toEqual([NODE0]);
    expectSuccess(testbed.call('vote_cancel_resharing', {}, { predecessor: NODE1 }));
    expect(stateIn(testbed, 'Running')).toMatchObject({ parameters: THREE_NODES, keyset: { epoch_id: 0 }, previously_cancelled_resharing_epoch_id: 1 });
    refused(testbed, 'vote_new_parameters', { prospective_epoch_id: 1, proposal: proposal(FOUR_NODES) }, NODE0, SIGNER_ERRORS.epochMismatch(1, 2));
    voteAll([NODE0, NODE1, NODE2, NODE3], FOUR_NODES, 2);
    expect(stateIn(testbed, 'Resharing').resharing_key.epoch_id).toBe(2);
  });

  it('is replaced by a new proposal for the following epoch', () => {
    startResharing();
    const fourWithThreshold4 = thresholdParameters([...NODES.map((account, id) => [account, id] as const), [NODE3, 3]], 4);
    refused(testbed, 'vote_new_parameters', { prospective_epoch_id: 1, proposal: proposal(fourWithThreshold4) }, NODE0, SIGNER_ERRORS.epochMismatch(1, 2));
    voteAll([NODE0, NODE1, NODE2, NODE3], fourWithThreshold4, 2);
    expect(stateIn(testbed, 'Resharing').resharing_key).toMatchObject({ epoch_id: 2, parameters: fourWithThreshold4 });
  });

  it('hands over at once when there are no keys to reshare', () => {
    testbed = initialized(THREE_NODES, [...NODES, NODE3]);
    startResharing();
    expect(stateIn(testbed, 'Running')).toMatchObject({ parameters: FOUR_NODES, keyset: { epoch_id: 1, domains: [] } });
  });

  // near/mpc re-verifies the attestation stored under each proposed participant's TLS key, whoever registered it.
  it('accepts a proposed participant whose TLS key is attested, as near/mpc does', () => {
    const withSharedTlsKey = { participants: { next_id: 4, participants: [...THREE_NODES.participants.participants, ['node4.near', 3, participantInfo(NODE3)]] }, threshold: 3 };
    expectSuccess(vote(NODE0, withSharedTlsKey));
    expect(Object.keys(stateIn(testbed, 'Running').parameters_votes.proposal_by_account)).toEqual([NODE0]);
  });

  // near/mpc's `RunningContractState::new` keeps only the add-domain votes of participants of the new set
  // (`get_remaining_votes`).
  it('drops the add-domain votes of participants that leave', () => {
    voteDomains(testbed, [domainConfig(2, 'Secp256k1')], [NODE0, NODE2]);
    voteAll([NODE0, NODE1], FIRST_TWO_NODES);
    reshareAll([NODE0, NODE1]);
    expect(stateIn(testbed, 'Running').add_domains_votes).toEqual({ proposal_by_account: { 0: [domainConfig(2, 'Secp256k1')] } });
  });

  it('drops the add-domain votes of participants that leave when there are no keys to reshare', () => {
    testbed = initialized();
    voteDomains(testbed, DOMAINS, [NODE0, NODE2]);
    voteAll([NODE0, NODE1], FIRST_TWO_NODES);
    expect(stateIn(testbed, 'Running')).toMatchObject({ parameters: FIRST_TWO_NODES, keyset: { epoch_id: 1 }, add_domains_votes: { proposal_by_account: { 0: DOMAINS } } });
  });
});
