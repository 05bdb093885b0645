import type { DomainConfig, GovernanceThresholdParameters, KeyForDomain, ProtocolContractState, RunningContractState } from '../../shared/near/signer-abi.js';
import { protocolLine, stateSummary } from './state-summary.js';

const TLS = ['ed25519:6E8sCci9badyRkXb3JoRpBj5p8C6Tw41ELDZoiihKEtp', 'ed25519:8qMxAGuGH1ZoK2Lrd4a8D9gvCTvU2ozvKVAxi1TbBdp8', 'ed25519:3VRbaJUAQpbBKTmoS4HhxKUpbSiUE6pRk3fqDjGcUfjY'];
const SECP_KEY = 'secp256k1:3PsZsvCDHJtzgQe1PFd3JqS7Ahp9ny6ZnHa9CVaEprsAxjjPTHDLajeppZw6xNrWSaSDcfbZ6Ug7ym3zQ4fP4H4u';
const ED_KEY = 'ed25519:9p3EzZbyxZ2uWvJc2EWRGUiEdpvuWavDc2FhwSxfyaVn';

const set = (count: number, threshold: number): GovernanceThresholdParameters => ({
  threshold,
  participants: { next_id: count, participants: Array.from({ length: count }, (_, id) => [`node${id}.near`, id, { url: `https://node${id}.example.org`, tls_public_key: TLS[id % TLS.length]! }] as const) },
});
const DOMAINS: DomainConfig[] = [
  { id: 0, protocol: 'CaitSith', reconstruction_threshold: 2, purpose: 'Sign' },
  { id: 1, protocol: 'Frost', reconstruction_threshold: 2, purpose: 'Sign' },
];
const KEYS: KeyForDomain[] = [
  { domain_id: 0, key: { Secp256k1: { near_public_key: SECP_KEY } }, attempt: 0 },
  { domain_id: 1, key: { Ed25519: { near_public_key_compressed: ED_KEY, edwards_point: [] } }, attempt: 1 },
];
const running = (overrides: Partial<RunningContractState> = {}): RunningContractState => ({
  domains: { domains: DOMAINS, next_domain_id: 2 },
  keyset: { epoch_id: 3, domains: KEYS },
  parameters: set(3, 2),
  parameters_votes: { proposal_by_account: {} },
  add_domains_votes: { proposal_by_account: {} },
  previously_cancelled_resharing_epoch_id: null,
  ...overrides,
});

describe('the state summary', () => {
  it('shows a Running contract: epoch, participants, domains with their keys, no key event, no votes', () => {
    expect(stateSummary({ Running: running() })).toEqual([
      'protocol:     Running, epoch 3',
      'participants: 3, governance threshold 2, next id 3',
      '  id  account     url                        tls public key',
      `  0   node0.near  https://node0.example.org  ${TLS[0]}`,
      `  1   node1.near  https://node1.example.org  ${TLS[1]}`,
      `  2   node2.near  https://node2.example.org  ${TLS[2]}`,
      'domains:      2, next id 2',
      '  id  protocol  curve         purpose  threshold  key',
      `  0   CaitSith  Secp256k1     Sign     2          ${SECP_KEY}`,
      `  1   Frost     Edwards25519  Sign     2          ${ED_KEY}`,
      'key event:    none',
      'votes:        none pending',
    ]);
  });

  it('lists pending votes: parameters by account, domains by participant, and a cancelled resharing', () => {
    const state = running({
      parameters_votes: { proposal_by_account: { 'node1.near': { parameters: set(4, 3), per_domain_thresholds: { 0: 3 } } } },
      add_domains_votes: { proposal_by_account: { 2: [{ id: 2, protocol: 'ConfidentialKeyDerivation', reconstruction_threshold: 2, purpose: 'CKD' }] } },
      previously_cancelled_resharing_epoch_id: 4,
    });
    expect(stateSummary({ Running: state }).slice(-4)).toEqual([
      'votes:        2 pending',
      '  new parameters by node1.near: threshold 3 of node0.near (0), node1.near (1), node2.near (2), node3.near (3); domain 0 t=3',
      '  add domains by node2.near (2): 2 ConfidentialKeyDerivation CKD t=2',
      'cancelled:    the resharing to epoch 4; a new proposal must target a later epoch',
    ]);
  });

  it('shows a resharing: both sets, which keys are reshared, the attempt, and cancellations', () => {
    const state: ProtocolContractState = {
      Resharing: {
        previous_running_state: running(),
        reshared_keys: [KEYS[0]!],
        resharing_key: {
          epoch_id: 4,
          domain: DOMAINS[1]!,
          parameters: set(4, 3),
          instance: { attempt_id: 2, started_in: 120, expires_on: 150, completed: [0, 3], public_key: null },
          next_attempt_id: 3,
        },
        cancellation_requests: ['node2.near'],
        per_domain_thresholds: { 1: 3 },
      },
    };
    const lines = stateSummary(state);
    expect(lines[0]).toBe("protocol:     Resharing, epoch 3 → 4: signing continues with epoch 3's participants");
    expect(lines).toContain('new set:      4, governance threshold 3, next id 4');
    expect(lines).toContain(`  0   CaitSith  Secp256k1     Sign     2          ${SECP_KEY} (reshared)`);
    expect(lines).toContain(`  1   Frost     Edwards25519  Sign     2          ${ED_KEY} (resharing)`);
    expect(lines).toContain('thresholds:   after resharing: domain 1 t=3');
    expect(lines).toContain('key event:    reshare of domain 1 (Frost, Sign, threshold 2) for epoch 4');
    expect(lines).toContain('              attempt 2 started at block 120, expires at block 150; completed by node0.near (0), node3.near (3)');
    expect(lines).toContain('cancel votes: node2.near');
    expect(protocolLine(state)).toBe('protocol:     Resharing to epoch 4: domain 1');
  });

  it('says what to do with an uninitialized contract', () => {
    expect(stateSummary('NotInitialized')).toEqual(['protocol:     NotInitialized: the contract has no state yet (chainsig contract init)']);
    expect(protocolLine({ Running: running() })).toBe('protocol:     Running, epoch 3, 2 domain(s)');
  });
});
