import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex, utf8ToBytes } from '@noble/hashes/utils.js';
import { mpcSignerContract } from './contract.js';
import {
  ecdsaResponse,
  expectSuccess,
  generateKey,
  NODES,
  rootPublicKey,
  runningSigner,
  SIGNER_ACCOUNT,
  THREE_NODES,
  thresholdParameters,
  tweakHex,
} from '../testing/mpc-fixtures.js';
import { type CallOutcome, ContractTestbed } from '../testing/test-host.js';
import type { ProtocolState } from './types.js';

const [NODE0, NODE1, NODE2] = NODES;
const NODE3 = 'node3.near';
const DOMAINS = [
  { id: 0, scheme: 'Secp256k1', purpose: 'Sign' },
  { id: 1, scheme: 'Ed25519', purpose: 'Sign' },
];
const FOUR_NODES = thresholdParameters([...NODES.map((account, id) => [account, id] as const), [NODE3, 3]], 3);

function initialized(parameters: unknown = THREE_NODES): ContractTestbed {
  const testbed = new ContractTestbed(mpcSignerContract, SIGNER_ACCOUNT);
  expectSuccess(testbed.call('init', { parameters }, { predecessor: SIGNER_ACCOUNT }));
  return testbed;
}

const state = (testbed: ContractTestbed) => testbed.view('state') as ProtocolState;
const stateName = (testbed: ContractTestbed) => Object.keys(state(testbed))[0];

function refused(testbed: ContractTestbed, method: string, args: unknown, predecessor: string, pattern: RegExp): CallOutcome {
  const before = testbed.snapshot();
  const outcome = testbed.call(method, args, { predecessor });
  expect(outcome).toMatchObject({ status: 'panic', error: expect.stringMatching(pattern) });
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

  it('takes an init_config', () => {
    const testbed = new ContractTestbed(mpcSignerContract, SIGNER_ACCOUNT);
    expectSuccess(testbed.call('init', { parameters: THREE_NODES, init_config: { key_event_timeout_blocks: 5 } }, { predecessor: SIGNER_ACCOUNT }));
    expect(testbed.view('config')).toEqual({ key_event_timeout_blocks: 5 });
  });

  it.each([
    ['a threshold of 1', thresholdParameters([[NODE0, 0], [NODE1, 1]], 1), /InvalidParameters: threshold 1 is below the minimum of 2/],
    ['a threshold above n', thresholdParameters([[NODE0, 0], [NODE1, 1]], 3), /threshold 3 exceeds the 2 participants/],
    ['a threshold below 60%', thresholdParameters([[NODE0, 0], [NODE1, 1], [NODE2, 2], [NODE3, 3], ['node4.near', 4]], 2), /threshold 2 is below 60% of the 5 participants/],
    ['a duplicate account', thresholdParameters([[NODE0, 0], [NODE0, 1]], 2), /participant node0.near is listed twice/],
    ['a duplicate id', thresholdParameters([[NODE0, 0], [NODE1, 0]], 2), /participant id 0 is used twice/],
    ['an id not below next_id', thresholdParameters([[NODE0, 0], [NODE1, 1]], 2, 1), /participant id 1 is not below next_id 1/],
    ['a bad account id', thresholdParameters([['Node.near', 0], [NODE1, 1]], 2), /participants\[0\]\[0\]: expected a valid NEAR account id/],
  ])('refuses %s', (_name, parameters, pattern) => {
    const testbed = new ContractTestbed(mpcSignerContract, SIGNER_ACCOUNT);
    refused(testbed, 'init', { parameters }, SIGNER_ACCOUNT, pattern);
  });

  it('refuses participant keys that are not usable', () => {
    const withKey = (change: Record<string, string>) => {
      const parameters = structuredClone(THREE_NODES);
      Object.assign(parameters.participants.participants[0]![2], change);
      return parameters;
    };
    const testbed = new ContractTestbed(mpcSignerContract, SIGNER_ACCOUNT);
    refused(testbed, 'init', { parameters: withKey({ sign_pk: rootPublicKey('Secp256k1') }) }, SIGNER_ACCOUNT, /sign_pk: .*expected a ed25519 key, got secp256k1/);
    refused(testbed, 'init', { parameters: withKey({ cipher_pk: '00'.repeat(32) }) }, SIGNER_ACCOUNT, /cipher_pk: the all-zero X25519 key is not usable/);
    refused(testbed, 'init', { parameters: withKey({ url: 'ftp://x' }) }, SIGNER_ACCOUNT, /url: expected an http\(s\) URL/);
  });

  it('may only be called once, by the contract account', () => {
    refused(new ContractTestbed(mpcSignerContract, SIGNER_ACCOUNT), 'init', { parameters: THREE_NODES }, NODE0, /Unauthorized: init may only be called by the contract itself/);
    refused(initialized(), 'init', { parameters: THREE_NODES }, SIGNER_ACCOUNT, /InvalidState: the contract is already initialized/);
  });

  it('leaves every other method refusing until it runs', () => {
    const testbed = new ContractTestbed(mpcSignerContract, SIGNER_ACCOUNT);
    expect(() => testbed.view('state')).toThrow(/InvalidState: the contract is not initialized/);
    refused(testbed, 'vote_add_domains', { domains: DOMAINS }, NODE0, /not initialized/);
  });
});

describe('adding domains: Running → Initializing → Running', () => {
  it('needs every participant to vote for the same domains', () => {
    const testbed = initialized();
    expectSuccess(testbed.call('vote_add_domains', { domains: DOMAINS }, { predecessor: NODE0 }));
    expectSuccess(testbed.call('vote_add_domains', { domains: [DOMAINS[0]] }, { predecessor: NODE1 }));
    expectSuccess(testbed.call('vote_add_domains', { domains: DOMAINS }, { predecessor: NODE2 }));
    expect(stateName(testbed)).toBe('Running');
    expect((state(testbed) as { Running: { add_domains_votes: unknown } }).Running.add_domains_votes).toEqual({
      proposal_by_account: { [NODE0]: DOMAINS, [NODE1]: [DOMAINS[0]], [NODE2]: DOMAINS },
    });
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
        previously_cancelled_resharing_epoch_id: null,
      },
    });
  });

  it.each([
    ['a non-participant', { domains: DOMAINS }, 'mallory.near', /Unauthorized: mallory.near is not a participant/],
    ['ids that do not start at next_domain_id', { domains: [{ id: 1, scheme: 'Secp256k1' }] }, NODE0, /domain ids must continue from 0 without gaps, got 1/],
    ['ids with a gap', { domains: [DOMAINS[0], { id: 2, scheme: 'Ed25519' }] }, NODE0, /domains\[1\].id: domain ids must continue from 0/],
    ['an unsupported scheme', { domains: [{ id: 0, scheme: 'Bls12381' }] }, NODE0, /"Bls12381" is not supported/],
    ['an unsupported purpose', { domains: [{ id: 0, scheme: 'Secp256k1', purpose: 'CKD' }] }, NODE0, /only "Sign" is supported/],
    ['no domains', { domains: [] }, NODE0, /at least one domain is needed/],
  ])('refuses %s', (_name, args, voter, pattern) => {
    refused(initialized(), 'vote_add_domains', args, voter, pattern);
  });

  it('generates keys domain by domain and returns to Running with the keyset', () => {
    const testbed = initialized();
    for (const node of NODES) testbed.call('vote_add_domains', { domains: DOMAINS }, { predecessor: node });
    generateKey(testbed, NODES, 0, rootPublicKey('Secp256k1'));
    const afterFirst = state(testbed) as { Initializing: { generated_keys: unknown; generating_key: { domain: unknown } } };
    expect(afterFirst.Initializing.generated_keys).toEqual([{ domain_id: 0, key: rootPublicKey('Secp256k1'), attempt: 0 }]);
    expect(afterFirst.Initializing.generating_key.domain).toEqual(DOMAINS[1]);
    generateKey(testbed, NODES, 1, rootPublicKey('Ed25519'));
    const running = state(testbed) as { Running: { keyset: unknown; domains: unknown } };
    expect(running.Running.domains).toEqual({ domains: DOMAINS, next_domain_id: 2 });
    expect(running.Running.keyset).toEqual({
      epoch_id: 0,
      domains: [
        { domain_id: 0, key: rootPublicKey('Secp256k1'), attempt: 0 },
        { domain_id: 1, key: rootPublicKey('Ed25519'), attempt: 0 },
      ],
    });
  });

  it('keeps existing keys when more domains are added and lets them sign meanwhile', () => {
    const testbed = runningSigner(['Secp256k1']);
    for (const node of NODES) testbed.call('vote_add_domains', { domains: [{ id: 1, scheme: 'Ed25519' }] }, { predecessor: node });
    expect(stateName(testbed)).toBe('Initializing');
    const payload = sha256(utf8ToBytes('during keygen'));
    expectSuccess(testbed.call('sign', { request: { path: 'p', payload_v2: { Ecdsa: bytesToHex(payload) }, domain_id: 0 } }, { predecessor: 'alice.near', deposit: 1n }));
    expectSuccess(
      testbed.call('respond', { request: { tweak: tweakHex('alice.near', 'p'), payload: { Ecdsa: bytesToHex(payload) }, domain_id: 0 }, response: ecdsaResponse('alice.near', 'p', payload) }, { predecessor: NODE1 }),
    );
    refused(testbed, 'sign', { request: { path: 'p', payload_v2: { Eddsa: 'aa' }, domain_id: 1 } }, 'alice.near', /InvalidRequest: domain 1 has no key yet/);
  });
});

describe('key event attempts', () => {
  let testbed: ContractTestbed;
  const attempt = (attemptId: number, domainId = 0, epochId = 0) => ({ key_event_id: { epoch_id: epochId, domain_id: domainId, attempt_id: attemptId } });
  beforeEach(() => {
    testbed = initialized();
    for (const node of NODES) testbed.call('vote_add_domains', { domains: DOMAINS }, { predecessor: node });
  });

  it('are started only by the leader, for the next attempt id, one at a time', () => {
    refused(testbed, 'start_keygen_instance', attempt(0), NODE1, /Unauthorized: only the leader node0.near may start/);
    refused(testbed, 'start_keygen_instance', attempt(1), NODE0, /the next key event attempt is \(epoch 0, domain 0, attempt 0\), not \(epoch 0, domain 0, attempt 1\)/);
    refused(testbed, 'start_keygen_instance', attempt(0, 1), NODE0, /not \(epoch 0, domain 1, attempt 0\)/);
    expectSuccess(testbed.call('start_keygen_instance', attempt(0), { predecessor: NODE0 }));
    const instance = (state(testbed) as { Initializing: { generating_key: { instance: unknown; next_attempt_id: number } } }).Initializing.generating_key;
    expect(instance).toMatchObject({ instance: { attempt_id: 0, started_in: 1000, expires_on: 1030, completed: [], public_key: null }, next_attempt_id: 1 });
    refused(testbed, 'start_keygen_instance', attempt(1), NODE0, /attempt 0 is still open until block 1030/);
  });

  it('expire after 30 blocks; votes then fail and the leader starts the next attempt', () => {
    expectSuccess(testbed.call('start_keygen_instance', attempt(0), { predecessor: NODE0 }));
    expectSuccess(testbed.call('vote_pk', { ...attempt(0), public_key: rootPublicKey('Secp256k1') }, { predecessor: NODE0 }));
    testbed.advanceBlocks(29);
    expectSuccess(testbed.call('vote_pk', { ...attempt(0), public_key: rootPublicKey('Secp256k1') }, { predecessor: NODE1 }));
    testbed.advanceBlocks(1);
    refused(testbed, 'vote_pk', { ...attempt(0), public_key: rootPublicKey('Secp256k1') }, NODE2, /KeyEvent: attempt 0 expired at block 1030/);
    expectSuccess(testbed.call('start_keygen_instance', attempt(1), { predecessor: NODE0 }));
    for (const node of NODES) expectSuccess(testbed.call('vote_pk', { ...attempt(1), public_key: rootPublicKey('Secp256k1') }, { predecessor: node }));
    expect((state(testbed) as { Initializing: { generated_keys: unknown } }).Initializing.generated_keys).toEqual([{ domain_id: 0, key: rootPublicKey('Secp256k1'), attempt: 1 }]);
  });

  it('refuse votes for another attempt, duplicate votes, outsiders and keys of the wrong curve', () => {
    refused(testbed, 'vote_pk', { ...attempt(0), public_key: rootPublicKey('Secp256k1') }, NODE0, /no key event attempt is open for domain 0/);
    expectSuccess(testbed.call('start_keygen_instance', attempt(0), { predecessor: NODE0 }));
    refused(testbed, 'vote_pk', { ...attempt(1), public_key: rootPublicKey('Secp256k1') }, NODE0, /the open attempt is \(epoch 0, domain 0, attempt 0\)/);
    refused(testbed, 'vote_pk', { ...attempt(0), public_key: rootPublicKey('Ed25519') }, NODE0, /public_key: .*expected a secp256k1 key, got ed25519/);
    refused(testbed, 'vote_pk', { ...attempt(0), public_key: 'secp256k1:notbase58!' }, NODE0, /public_key:/);
    refused(testbed, 'vote_pk', { ...attempt(0), public_key: rootPublicKey('Secp256k1') }, 'mallory.near', /Unauthorized/);
    expectSuccess(testbed.call('vote_pk', { ...attempt(0), public_key: rootPublicKey('Secp256k1') }, { predecessor: NODE0 }));
    refused(testbed, 'vote_pk', { ...attempt(0), public_key: rootPublicKey('Secp256k1') }, NODE0, /InvalidVote: node0.near already voted in attempt 0/);
  });

  it('abort when a participant votes for a different key', () => {
    expectSuccess(testbed.call('start_keygen_instance', attempt(0), { predecessor: NODE0 }));
    expectSuccess(testbed.call('vote_pk', { ...attempt(0), public_key: rootPublicKey('Secp256k1') }, { predecessor: NODE0 }));
    const other = 'secp256k1:4zvzanBjPrvRWAr3mjdPX9sSkS8GZTZ11L6V2pcAbmHRd3HHbTyboHdWauExDmHrEoWnbhDkUwnzVEa8hg52C55p';
    const outcome = expectSuccess(testbed.call('vote_pk', { ...attempt(0), public_key: other }, { predecessor: NODE1 }));
    expect(outcome.logs).toContain('key generation attempt 0 aborted: node1.near voted for a different public key');
    expect((state(testbed) as { Initializing: { generating_key: { instance: unknown } } }).Initializing.generating_key.instance).toBeNull();
    // The leader may start the next attempt at once.
    expectSuccess(testbed.call('start_keygen_instance', attempt(1), { predecessor: NODE0 }));
  });

  it('are abandoned by one vote_abort_key_event_instance', () => {
    refused(testbed, 'vote_abort_key_event_instance', attempt(0), NODE1, /no key event attempt is open/);
    expectSuccess(testbed.call('start_keygen_instance', attempt(0), { predecessor: NODE0 }));
    refused(testbed, 'vote_abort_key_event_instance', attempt(0), 'mallory.near', /Unauthorized/);
    refused(testbed, 'vote_abort_key_event_instance', attempt(3), NODE1, /the open attempt is/);
    const outcome = expectSuccess(testbed.call('vote_abort_key_event_instance', attempt(0), { predecessor: NODE2 }));
    expect(outcome.logs).toContain('key event attempt 0 for domain 0 aborted by node2.near');
    expect((state(testbed) as { Initializing: { generating_key: { instance: unknown; next_attempt_id: number } } }).Initializing.generating_key).toMatchObject({ instance: null, next_attempt_id: 1 });
    refused(testbed, 'start_keygen_instance', attempt(0), NODE0, /the next key event attempt is \(epoch 0, domain 0, attempt 1\)/);
  });

  it('vote_cancel_keygen at the threshold returns to Running with the keys made so far, without reusing ids', () => {
    generateKey(testbed, NODES, 0, rootPublicKey('Secp256k1'));
    refused(testbed, 'vote_cancel_keygen', { next_domain_id: 1 }, NODE0, /InvalidVote: next_domain_id must be 2, got 1/);
    refused(testbed, 'vote_cancel_keygen', { next_domain_id: 2 }, 'mallory.near', /Unauthorized/);
    expectSuccess(testbed.call('vote_cancel_keygen', { next_domain_id: 2 }, { predecessor: NODE0 }));
    refused(testbed, 'vote_cancel_keygen', { next_domain_id: 2 }, NODE0, /already voted to cancel/);
    expect(stateName(testbed)).toBe('Initializing');
    const outcome = expectSuccess(testbed.call('vote_cancel_keygen', { next_domain_id: 2 }, { predecessor: NODE2 }));
    expect(outcome.logs).toContain('protocol state: Initializing -> Running');
    const running = (state(testbed) as { Running: { domains: unknown; keyset: unknown } }).Running;
    expect(running.domains).toEqual({ domains: [DOMAINS[0]], next_domain_id: 2 });
    expect(running.keyset).toEqual({ epoch_id: 0, domains: [{ domain_id: 0, key: rootPublicKey('Secp256k1'), attempt: 0 }] });
    refused(testbed, 'vote_add_domains', { domains: [{ id: 1, scheme: 'Ed25519' }] }, NODE0, /domain ids must continue from 2/);
  });

  it('are refused outside their state', () => {
    const running = runningSigner(['Secp256k1']);
    refused(running, 'start_keygen_instance', attempt(0), NODE0, /InvalidState: key generation needs the Initializing state, not Running/);
    refused(running, 'vote_pk', { ...attempt(0), public_key: rootPublicKey('Secp256k1') }, NODE0, /InvalidState/);
    refused(running, 'vote_cancel_keygen', { next_domain_id: 1 }, NODE0, /InvalidState/);
    refused(running, 'vote_abort_key_event_instance', attempt(0), NODE0, /InvalidState: no key event is in progress/);
    refused(running, 'start_reshare_instance', attempt(0), NODE0, /InvalidState: resharing needs the Resharing state/);
    refused(running, 'vote_reshared', attempt(0), NODE0, /InvalidState/);
    refused(running, 'vote_cancel_resharing', {}, NODE0, /InvalidState/);
    refused(testbed, 'vote_add_domains', { domains: [{ id: 2, scheme: 'Ed25519' }] }, NODE0, /domains can only be added while Running, not Initializing/);
    refused(testbed, 'vote_new_parameters', { prospective_epoch_id: 1, proposal: FOUR_NODES }, NODE0, /only be proposed while Running or Resharing/);
  });
});

describe('resharing: Running → Resharing → Running', () => {
  let testbed: ContractTestbed;
  const proposeFourNodes = (voter: string, epoch = 1) => testbed.call('vote_new_parameters', { prospective_epoch_id: epoch, proposal: FOUR_NODES }, { predecessor: voter });
  const reshareAttempt = (attemptId: number, domainId: number, epochId = 1) => ({ key_event_id: { epoch_id: epochId, domain_id: domainId, attempt_id: attemptId } });
  beforeEach(() => {
    testbed = runningSigner();
  });

  it('needs the old threshold and every newcomer', () => {
    expectSuccess(proposeFourNodes(NODE0));
    expectSuccess(proposeFourNodes(NODE1));
    expect(stateName(testbed)).toBe('Running'); // the newcomer has not voted
    expectSuccess(proposeFourNodes(NODE3));
    expect(state(testbed)).toEqual({
      Resharing: {
        previous_running_state: expect.objectContaining({ parameters: THREE_NODES, parameters_votes: { proposal_by_account: {} } }),
        reshared_keys: [],
        resharing_key: { epoch_id: 1, domain: DOMAINS[0], parameters: FOUR_NODES, instance: null, next_attempt_id: 0 },
        cancellation_requests: [],
      },
    });
  });

  it('does not count votes for a different proposal together', () => {
    const otherThreshold = thresholdParameters([...NODES.map((account, id) => [account, id] as const), [NODE3, 3]], 4);
    expectSuccess(proposeFourNodes(NODE0));
    expectSuccess(testbed.call('vote_new_parameters', { prospective_epoch_id: 1, proposal: otherThreshold }, { predecessor: NODE1 }));
    expectSuccess(proposeFourNodes(NODE3));
    expect(stateName(testbed)).toBe('Running');
  });

  it.each([
    ['a wrong epoch', 2, FOUR_NODES, NODE0, /InvalidVote: prospective_epoch_id must be 1, got 2/],
    ['an outsider', 1, FOUR_NODES, 'mallory.near', /Unauthorized: mallory.near is neither a current nor a proposed participant/],
    ['too few old participants kept', 1, thresholdParameters([[NODE0, 0], [NODE3, 3], ['node4.near', 4]], 2), NODE0, /only 1 current participants remain; resharing needs at least the current threshold 2/],
    ['a changed participant id', 1, thresholdParameters([[NODE0, 0], [NODE1, 5], [NODE2, 2]], 2), NODE0, /participant node1.near must keep id 1, got 5/],
    ['a reused id for a newcomer', 1, thresholdParameters([[NODE0, 0], [NODE1, 1], [NODE3, 2]], 2, 3), NODE0, /new participant node3.near must get an id of at least 3, got 2/],
    ['a lower next_id', 1, thresholdParameters([[NODE0, 0], [NODE1, 1]], 2, 2), NODE0, /InvalidParameters: next_id 2 is below the current 3/],
    ['a threshold below 60%', 1, thresholdParameters([...NODES.map((account, id) => [account, id] as const), [NODE3, 3]], 2), NODE0, /threshold 2 is below 60% of the 4 participants/],
    ['a threshold above n', 1, thresholdParameters([[NODE0, 0], [NODE1, 1]], 3), NODE0, /threshold 3 exceeds the 2 participants/],
    ['a threshold of 1', 1, thresholdParameters([[NODE0, 0], [NODE1, 1]], 1), NODE0, /below the minimum of 2/],
  ])('refuses %s', (_name, epoch, proposal, voter, pattern) => {
    refused(testbed, 'vote_new_parameters', { prospective_epoch_id: epoch, proposal }, voter, pattern);
  });

  function startResharing(): void {
    for (const voter of [NODE0, NODE1, NODE3]) expectSuccess(proposeFourNodes(voter));
  }

  it('reshares every domain with the new set and keeps the public keys', () => {
    startResharing();
    refused(testbed, 'start_reshare_instance', reshareAttempt(0, 0), NODE1, /only the leader node0.near/);
    for (const domainId of [0, 1]) {
      expectSuccess(testbed.call('start_reshare_instance', reshareAttempt(0, domainId), { predecessor: NODE0 }));
      refused(testbed, 'vote_reshared', reshareAttempt(0, domainId), 'mallory.near', /Unauthorized: mallory.near is not a participant of the new set/);
      for (const node of [...NODES, NODE3]) expectSuccess(testbed.call('vote_reshared', reshareAttempt(0, domainId), { predecessor: node }));
    }
    expect(state(testbed)).toEqual({
      Running: {
        domains: { domains: DOMAINS, next_domain_id: 2 },
        keyset: {
          epoch_id: 1,
          domains: [
            { domain_id: 0, key: rootPublicKey('Secp256k1'), attempt: 0 },
            { domain_id: 1, key: rootPublicKey('Ed25519'), attempt: 0 },
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
    expectSuccess(testbed.call('start_reshare_instance', reshareAttempt(0, 0), { predecessor: NODE0 }));
    expectSuccess(testbed.call('vote_reshared', reshareAttempt(0, 0), { predecessor: NODE3 }));
    refused(testbed, 'vote_reshared', reshareAttempt(0, 0), NODE3, /already voted in attempt 0/);
    expectSuccess(testbed.call('vote_abort_key_event_instance', reshareAttempt(0, 0), { predecessor: NODE2 }));
    expectSuccess(testbed.call('start_reshare_instance', reshareAttempt(1, 0), { predecessor: NODE0 }));
    testbed.advanceBlocks(30);
    refused(testbed, 'vote_reshared', reshareAttempt(1, 0), NODE0, /attempt 1 expired/);
  });

  it('keeps signing with the old set while resharing', () => {
    startResharing();
    const payload = sha256(utf8ToBytes('during resharing'));
    const request = { tweak: tweakHex('alice.near', 'p'), payload: { Ecdsa: bytesToHex(payload) }, domain_id: 0 };
    expectSuccess(testbed.call('sign', { request: { path: 'p', payload_v2: { Ecdsa: bytesToHex(payload) }, domain_id: 0 } }, { predecessor: 'alice.near', deposit: 1n }));
    const response = ecdsaResponse('alice.near', 'p', payload);
    refused(testbed, 'respond', { request, response }, NODE3, /Unauthorized: node3.near is not a participant that may respond/);
    expectSuccess(testbed.call('respond', { request, response }, { predecessor: NODE2 }));
  });

  it('is cancelled by the old threshold, and the cancelled epoch is never reused', () => {
    startResharing();
    refused(testbed, 'vote_cancel_resharing', {}, NODE3, /Unauthorized: node3.near is not a current participant/);
    expectSuccess(testbed.call('vote_cancel_resharing', {}, { predecessor: NODE0 }));
    refused(testbed, 'vote_cancel_resharing', {}, NODE0, /already voted to cancel the resharing/);
    expectSuccess(testbed.call('vote_cancel_resharing', {}, { predecessor: NODE1 }));
    const running = (state(testbed) as { Running: { parameters: unknown; keyset: { epoch_id: number }; previously_cancelled_resharing_epoch_id: number } }).Running;
    expect(running).toMatchObject({ parameters: THREE_NODES, keyset: { epoch_id: 0 }, previously_cancelled_resharing_epoch_id: 1 });
    refused(testbed, 'vote_new_parameters', { prospective_epoch_id: 1, proposal: FOUR_NODES }, NODE0, /prospective_epoch_id must be 2, got 1/);
    for (const voter of [NODE0, NODE1, NODE3]) expectSuccess(proposeFourNodes(voter, 2));
    expect((state(testbed) as { Resharing: { resharing_key: { epoch_id: number } } }).Resharing.resharing_key.epoch_id).toBe(2);
  });

  it('is replaced by a new proposal for the following epoch', () => {
    startResharing();
    const threeNewThreshold = thresholdParameters([...NODES.map((account, id) => [account, id] as const), [NODE3, 3]], 4);
    for (const voter of [NODE0, NODE1, NODE3]) expectSuccess(testbed.call('vote_new_parameters', { prospective_epoch_id: 2, proposal: threeNewThreshold }, { predecessor: voter }));
    expect((state(testbed) as { Resharing: { resharing_key: { epoch_id: number; parameters: unknown } } }).Resharing.resharing_key).toMatchObject({ epoch_id: 2, parameters: threeNewThreshold });
  });

  it('hands over at once when there are no keys to reshare', () => {
    testbed = initialized();
    for (const voter of [NODE0, NODE1, NODE3]) expectSuccess(proposeFourNodes(voter));
    expect(state(testbed)).toMatchObject({ Running: { parameters: FOUR_NODES, keyset: { epoch_id: 1, domains: [] } } });
  });
});
