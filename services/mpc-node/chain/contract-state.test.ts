// The state parser and job derivation on the JSON the contract itself produces: every state below is
// `state()` of the real MPC signer contract (contract/testing's testbed), driven through the lifecycle.
import { mpcSignerContract } from '../../../contract/mpc-signer/contract.js';
import { domainConfig, expectSuccess, NODES, registerNode, rootPublicKey, runningSigner, SIGNER_ACCOUNT, THREE_NODES, thresholdParameters } from '../../../contract/testing/mpc-fixtures.js';
import { ContractTestbed } from '../../../contract/testing/test-host.js';
import { parseContractState } from './contract-state.js';
import { ContractStateMalformed } from './errors.js';
import { jobsFor } from './jobs.js';

const [NODE0, NODE1, NODE2] = NODES;
const NODE3 = 'node3.near';
const OUTSIDER = 'outsider.near';
/** How the node sees the domains the tests add (CaitSith and Frost, reconstruction threshold 2). */
const SECP_DOMAIN = { id: 0, scheme: 'Secp256k1', threshold: 2 } as const;
const ED_DOMAIN = { id: 1, scheme: 'Ed25519', threshold: 2 } as const;
const FOUR_NODES = thresholdParameters([...NODES.map((account, id) => [account, id] as const), [NODE3, 3]], 3);

function initialized(): ContractTestbed {
  const testbed = new ContractTestbed(mpcSignerContract, SIGNER_ACCOUNT);
  expectSuccess(testbed.call('init', { parameters: THREE_NODES }, { predecessor: SIGNER_ACCOUNT }));
  for (const node of NODES) registerNode(testbed, node);
  return testbed;
}

function initializing(domains = [domainConfig(0, 'Secp256k1'), domainConfig(1, 'Ed25519')]): ContractTestbed {
  const testbed = initialized();
  for (const node of NODES) expectSuccess(testbed.call('vote_add_domains', { domains }, { predecessor: node }));
  return testbed;
}

/** Running with both keys, then every current participant and the newcomer vote `proposal`: Resharing. */
function resharing(perDomainThresholds: Record<string, number> = {}): ContractTestbed {
  const testbed = runningSigner();
  registerNode(testbed, NODE3);
  const proposal = { parameters: FOUR_NODES, per_domain_thresholds: perDomainThresholds };
  for (const voter of [NODE0, NODE1, NODE3, NODE2]) expectSuccess(testbed.call('vote_new_parameters', { prospective_epoch_id: 1, proposal }, { predecessor: voter }));
  return testbed;
}

/** The view of a phase other than NotInitialized, for its fields. */
function initializedView(json: unknown) {
  const view = parseContractState(json);
  if (view.phase === 'NotInitialized') throw new Error('expected an initialized contract');
  return view;
}

const keyEventId = (domainId: number, attemptId = 0, epochId = 0) => ({ epoch_id: epochId, domain_id: domainId, attempt_id: attemptId });
const stateJson = (testbed: ContractTestbed): unknown => JSON.parse(JSON.stringify(testbed.view('state')));

describe('contract state → jobs', () => {
  it('before init: NotInitialized, no jobs', () => {
    const view = parseContractState('NotInitialized');
    expect(view).toEqual({ phase: 'NotInitialized' });
    expect(jobsFor(view, NODE0)).toEqual([]);
  });

  it('Running after init, no domains: nothing to serve and nothing to generate', () => {
    const view = initializedView(stateJson(initialized()));
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
    const view = initializedView(stateJson(testbed));
    expect(view.signing.domains).toEqual([SECP_DOMAIN]);
    expect(jobsFor(view, NODE2)).toEqual([
      { kind: 'serve', epochId: 0, keyset: [{ domain_id: 0, key: rootPublicKey('Secp256k1'), attempt: 0 }], domains: [SECP_DOMAIN], unserved: [], participants: THREE_NODES.participants.participants, threshold: 2 },
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
        unserved: [],
        participants: THREE_NODES.participants.participants,
        threshold: 2,
      },
    ]);
    expect(jobsFor(view, OUTSIDER)).toEqual([]);
  });

  it('Resharing: old members serve with the old set and reshare; a newcomer only reshares', () => {
    const view = parseContractState(stateJson(resharing({ 0: 3 })));
    expect(view.phase).toBe('Resharing');
    const reshare = {
      kind: 'reshare',
      // The accepted proposal raises domain 0's reconstruction threshold to 3: the reshare makes 3-of-4 shares.
      domain: { ...SECP_DOMAIN, threshold: 3 },
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
    // The old set signs; only the new set's members may respond (near/mpc 3.14), so only they lead.
    expect(jobsFor(view, NODE0)).toEqual([expect.objectContaining({ kind: 'serve', epochId: 0, threshold: 2, responders: [0, 1, 2, 3] }), { ...reshare, amLeader: true }]);
    expect(jobsFor(view, NODE3)).toEqual([{ ...reshare, amLeader: false }]);
  });

  it('Resharing without a threshold change: the reshare keeps the domain threshold, not the governance threshold', () => {
    const view = parseContractState(stateJson(resharing()));
    expect(jobsFor(view, NODE3)).toEqual([expect.objectContaining({ kind: 'reshare', domain: SECP_DOMAIN, threshold: 2, previousThreshold: 2 })]);
  });

  it('domains the node does not serve: listed as unserved, the served ones signed for', () => {
    const testbed = initializing([domainConfig(0, 'Secp256k1'), { id: 1, protocol: 'ConfidentialKeyDerivation', reconstruction_threshold: 2, purpose: 'CKD' }]);
    expectSuccess(testbed.call('start_keygen_instance', { key_event_id: keyEventId(0) }, { predecessor: NODE0 }));
    for (const node of NODES) expectSuccess(testbed.call('vote_pk', { key_event_id: keyEventId(0), public_key: rootPublicKey('Secp256k1') }, { predecessor: node }));
    const view = initializedView(stateJson(testbed));
    expect(view.signing.unserved).toEqual([{ id: 1, unserved: 'purpose CKD is not served by this node' }]);
    // The CKD key event is one this node cannot take part in: it votes to cancel it (pinned to next_domain_id 2).
    expect(jobsFor(view, NODE1)).toEqual([
      expect.objectContaining({ kind: 'serve', domains: [SECP_DOMAIN], unserved: [{ id: 1, unserved: 'purpose CKD is not served by this node' }] }),
      { kind: 'unservable-key-event', event: 'keygen', domain: { id: 1, unserved: 'purpose CKD is not served by this node' }, epochId: 0, nextDomainId: 2 },
    ]);
  });

  it('served domains with another reconstruction threshold than the first one are reported, not half served', () => {
    // A resharing to four nodes that raises domain 0's threshold to 3 and keeps domain 1's at 2.
    const testbed = resharing({ 0: 3 });
    for (const domainId of [0, 1]) {
      expectSuccess(testbed.call('start_reshare_instance', { key_event_id: keyEventId(domainId, 0, 1) }, { predecessor: NODE0 }));
      for (const node of [...NODES, NODE3]) expectSuccess(testbed.call('vote_reshared', { key_event_id: keyEventId(domainId, 0, 1) }, { predecessor: node }));
    }
    const view = initializedView(stateJson(testbed));
    expect(view.phase).toBe('Running');
    const [serve] = jobsFor(view, NODE3);
    expect(serve).toMatchObject({ kind: 'serve', threshold: 3, domains: [{ ...SECP_DOMAIN, threshold: 3 }], unserved: [{ id: 1, unserved: 'its reconstruction threshold 2 differs from 3, the one this node serves' }] });
    expect(serve?.kind === 'serve' && serve.keyset.map((key) => key.domain_id)).toEqual([0]);
  });
});

describe('malformed state', () => {
  const running = () => stateJson(initialized()) as { Running: { parameters: { threshold: unknown; participants: { participants: [string, number, { url: string; tls_public_key: string }][] } } } };

  it.each([
    ['a threshold that is not a number', (state: ReturnType<typeof running>) => void (state.Running.parameters.threshold = '2'), 'Running.parameters.threshold'],
    ['a mesh key that is not Ed25519', (state: ReturnType<typeof running>) => void (state.Running.parameters.participants.participants[1]![2].tls_public_key = rootPublicKey('Secp256k1')), 'Running.parameters.participants.participants[1][2].tls_public_key'],
    ['an empty participant URL', (state: ReturnType<typeof running>) => void (state.Running.parameters.participants.participants[1]![2].url = ''), 'Running.parameters.participants.participants[1][2].url'],
    ['a threshold above the participant count', (state: ReturnType<typeof running>) => void (state.Running.parameters.threshold = 4), 'Running.parameters.threshold'],
  ])('names the path of %s', (_name, corrupt, path) => {
    const state = running();
    corrupt(state);
    expect(() => parseContractState(state)).toThrow(expect.objectContaining({ name: 'ContractStateMalformed', path }));
  });

  it.each([
    ['null', null],
    ['an unknown protocol state', { NotInitialized: {} }],
    ['a phase name of another spelling', 'Uninitialized'],
    ['two protocol states at once', { ...(stateJson(initialized()) as object), Resharing: {} }],
  ])('refuses %s at the root', (_name, json) => {
    expect(() => parseContractState(json)).toThrow(ContractStateMalformed);
    expect(() => parseContractState(json)).toThrow(/contract state is malformed at \(root\)/);
  });

  it('refuses a resharing of a domain without a key', () => {
    const state = stateJson(resharing()) as { Resharing: { previous_running_state: { keyset: { domains: unknown[] } } } };
    state.Resharing.previous_running_state.keyset.domains = [];
    expect(() => parseContractState(state)).toThrow(expect.objectContaining({ path: 'Resharing.resharing_key.domain.id' }));
  });
});
