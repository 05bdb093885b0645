// The state parser and job derivation on the JSON the contract itself produces: every state below is
// `state()` of the real MPC signer contract (contract/testing's testbed), driven through the lifecycle.
import { mpcSignerContract } from '../../../contract/mpc-signer/contract.js';
import { expectSuccess, NODES, rootPublicKey, runningSigner, SIGNER_ACCOUNT, THREE_NODES, thresholdParameters } from '../../../contract/testing/mpc-fixtures.js';
import { ContractTestbed } from '../../../contract/testing/test-host.js';
import { parseContractState } from './contract-state.js';
import { ContractStateMalformed } from './errors.js';
import { jobsFor } from './jobs.js';

const [NODE0, NODE1, NODE2] = NODES;
const NODE3 = 'node3.near';
const OUTSIDER = 'outsider.near';
const SECP_DOMAIN = { id: 0, scheme: 'Secp256k1', purpose: 'Sign' } as const;
const ED_DOMAIN = { id: 1, scheme: 'Ed25519', purpose: 'Sign' } as const;
const FOUR_NODES = thresholdParameters([...NODES.map((account, id) => [account, id] as const), [NODE3, 3]], 3);

function initialized(): ContractTestbed {
  const testbed = new ContractTestbed(mpcSignerContract, SIGNER_ACCOUNT);
  expectSuccess(testbed.call('init', { parameters: THREE_NODES }, { predecessor: SIGNER_ACCOUNT }));
  return testbed;
}

function initializing(): ContractTestbed {
  const testbed = initialized();
  for (const node of NODES) expectSuccess(testbed.call('vote_add_domains', { domains: [SECP_DOMAIN, ED_DOMAIN] }, { predecessor: node }));
  return testbed;
}

const keyEventId = (domainId: number, attemptId = 0, epochId = 0) => ({ epoch_id: epochId, domain_id: domainId, attempt_id: attemptId });
const stateJson = (testbed: ContractTestbed): unknown => JSON.parse(JSON.stringify(testbed.view('state')));

describe('contract state → jobs', () => {
  it('Running after init, no domains: nothing to serve and nothing to generate', () => {
    const view = parseContractState(stateJson(initialized()));
    expect(view.phase).toBe('Running');
    expect(view.signing.parameters).toEqual(THREE_NODES);
    expect(view.signing.keys).toEqual([]);
    expect(jobsFor(view, NODE0)).toEqual([]);
  });

  it('Initializing: a keygen job for the first new domain, led by the lowest participant id, not started yet', () => {
    const view = parseContractState(stateJson(initializing()));
    expect(view.phase).toBe('Initializing');
    const [leaderJob] = jobsFor(view, NODE0);
    expect(leaderJob).toEqual({
      kind: 'keygen',
      domain: SECP_DOMAIN,
      keyEventId: keyEventId(0),
      attempt: { status: 'not-started' },
      participants: THREE_NODES.participants.participants,
      threshold: 2,
      leader: NODE0,
      amLeader: true,
      iVoted: false,
      proposedPublicKey: null,
    });
    expect(jobsFor(view, NODE1)).toEqual([expect.objectContaining({ kind: 'keygen', leader: NODE0, amLeader: false })]);
    expect(jobsFor(view, OUTSIDER)).toEqual([]);
  });

  it('an open attempt: its id and expiry, who voted and the proposed key', () => {
    const testbed = initializing();
    expectSuccess(testbed.call('start_keygen_instance', { key_event_id: keyEventId(0) }, { predecessor: NODE0 }));
    expectSuccess(testbed.call('vote_pk', { key_event_id: keyEventId(0), public_key: rootPublicKey('Secp256k1') }, { predecessor: NODE1 }));
    const view = parseContractState(stateJson(testbed));
    const [node1Job] = jobsFor(view, NODE1);
    const [node2Job] = jobsFor(view, NODE2);
    expect(node1Job).toMatchObject({ kind: 'keygen', keyEventId: keyEventId(0), attempt: { status: 'open', voted: [NODE1] }, iVoted: true, proposedPublicKey: rootPublicKey('Secp256k1') });
    expect(node2Job).toMatchObject({ kind: 'keygen', iVoted: false });
    expect(node2Job?.kind === 'keygen' && node2Job.attempt.status === 'open' && node2Job.attempt.expiresOn).toBeGreaterThan(0);
  });

  it('an aborted attempt: the next attempt id, waiting for the leader', () => {
    const testbed = initializing();
    expectSuccess(testbed.call('start_keygen_instance', { key_event_id: keyEventId(0) }, { predecessor: NODE0 }));
    expectSuccess(testbed.call('vote_abort_key_event_instance', { key_event_id: keyEventId(0) }, { predecessor: NODE2 }));
    expect(jobsFor(parseContractState(stateJson(testbed)), NODE0)).toEqual([expect.objectContaining({ keyEventId: keyEventId(0, 1), attempt: { status: 'not-started' }, amLeader: true })]);
  });

  it('Initializing the second domain: serve the first one while generating the next', () => {
    const testbed = initializing();
    expectSuccess(testbed.call('start_keygen_instance', { key_event_id: keyEventId(0) }, { predecessor: NODE0 }));
    for (const node of NODES) expectSuccess(testbed.call('vote_pk', { key_event_id: keyEventId(0), public_key: rootPublicKey('Secp256k1') }, { predecessor: node }));
    const view = parseContractState(stateJson(testbed));
    expect(view.signing.domains).toEqual([SECP_DOMAIN]);
    expect(jobsFor(view, NODE2)).toEqual([
      { kind: 'serve', epochId: 0, keyset: [{ domain_id: 0, key: rootPublicKey('Secp256k1'), attempt: 0 }], domains: [SECP_DOMAIN], participants: THREE_NODES.participants.participants, threshold: 2 },
      expect.objectContaining({ kind: 'keygen', domain: ED_DOMAIN, keyEventId: keyEventId(1) }),
    ]);
  });

  it('Running with keys: a serve job for participants only', () => {
    const view = parseContractState(stateJson(runningSigner()));
    expect(jobsFor(view, NODE1)).toEqual([
      {
        kind: 'serve',
        epochId: 0,
        keyset: [
          { domain_id: 0, key: rootPublicKey('Secp256k1'), attempt: 0 },
          { domain_id: 1, key: rootPublicKey('Ed25519'), attempt: 0 },
        ],
        domains: [SECP_DOMAIN, ED_DOMAIN],
        participants: THREE_NODES.participants.participants,
        threshold: 2,
      },
    ]);
    expect(jobsFor(view, OUTSIDER)).toEqual([]);
  });

  it('Resharing: old members serve with the old set and reshare; a newcomer only reshares', () => {
    const testbed = runningSigner();
    for (const voter of [NODE0, NODE1, NODE3]) expectSuccess(testbed.call('vote_new_parameters', { prospective_epoch_id: 1, proposal: FOUR_NODES }, { predecessor: voter }));
    const view = parseContractState(stateJson(testbed));
    expect(view.phase).toBe('Resharing');
    const reshare = {
      kind: 'reshare',
      domain: SECP_DOMAIN,
      keyEventId: keyEventId(0, 0, 1),
      attempt: { status: 'not-started' },
      participants: FOUR_NODES.participants.participants,
      threshold: 3,
      leader: NODE0,
      iVoted: false,
      publicKey: rootPublicKey('Secp256k1'),
      previousParticipants: THREE_NODES.participants.participants,
      previousThreshold: 2,
    };
    expect(jobsFor(view, NODE0)).toEqual([expect.objectContaining({ kind: 'serve', epochId: 0, threshold: 2 }), { ...reshare, amLeader: true }]);
    expect(jobsFor(view, NODE3)).toEqual([{ ...reshare, amLeader: false }]);
  });
});

describe('malformed state', () => {
  const running = () => stateJson(initialized()) as { Running: { parameters: { threshold: unknown; participants: { participants: [string, number, { url: string }][] } } } };

  it.each([
    ['a threshold that is not a number', (state: ReturnType<typeof running>) => void (state.Running.parameters.threshold = '2'), 'Running.parameters.threshold'],
    ['a participant URL that is not http(s)', (state: ReturnType<typeof running>) => void (state.Running.parameters.participants.participants[1]![2].url = 'ftp://x'), 'Running.parameters.participants.participants[1][2].url'],
    ['a threshold above the participant count', (state: ReturnType<typeof running>) => void (state.Running.parameters.threshold = 4), 'Running.parameters.threshold'],
  ])('names the path of %s', (_name, corrupt, path) => {
    const state = running();
    corrupt(state);
    expect(() => parseContractState(state)).toThrow(expect.objectContaining({ name: 'ContractStateMalformed', path }));
  });

  it.each([
    ['null', null],
    ['an unknown protocol state', { NotInitialized: {} }],
    ['two protocol states at once', { ...(stateJson(initialized()) as object), Resharing: {} }],
  ])('refuses %s at the root', (_name, json) => {
    expect(() => parseContractState(json)).toThrow(ContractStateMalformed);
    expect(() => parseContractState(json)).toThrow(/contract state is malformed at \(root\)/);
  });

  it('refuses a resharing of a domain without a key', () => {
    const testbed = runningSigner();
    for (const voter of [NODE0, NODE1, NODE3]) expectSuccess(testbed.call('vote_new_parameters', { prospective_epoch_id: 1, proposal: FOUR_NODES }, { predecessor: voter }));
    const state = stateJson(testbed) as { Resharing: { previous_running_state: { keyset: { domains: unknown[] } } } };
    state.Resharing.previous_running_state.keyset.domains = [];
    expect(() => parseContractState(state)).toThrow(expect.objectContaining({ path: 'Resharing.resharing_key.domain.id' }));
  });
});
