// Our TypeScript signer (contract/mpc-signer) against near/mpc's published signer (3.14.0 and 3.14.1
// wasm), call by call: two devnet chains stepped in lockstep run the same transactions — calls before
// init, init, node registration (an invalid mock included), domains, key generation with a disagreement
// and an abort, signs (ECDSA, EdDSA, legacy, refused ones), responds (valid, repeated, forged, by a
// stranger, while Initializing, of the wrong scheme, naming a payload of the wrong scheme), a timeout,
// resharing to a fourth participant with a pending newcomer, a cancelled resharing, and a resharing
// that drops a participant with an add-domains vote — and after every step the outcome
// (value or the contract's error text) and the views (`state`, `config`, keys, pending requests) must
// be the same JSON. Differences allowed, each for a reason (docs/contracts.md): `version`; argument
// decoding errors (near-sdk's serde texts vs ours); the attested-participant assertion (near/mpc wraps
// the text in Rust's assertion message); `init` access (ours is private, so both are called by the
// contract account here).
import { KeyPair } from '@near-js/crypto';
import { actionCreators } from '@near-js/transactions';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { mpcSignerContract } from '../../../contract/mpc-signer/contract.js';
import { ecdsaResponse, ed25519Response, participantInfo, rootPublicKey, tweakBytes } from '../../../contract/testing/mpc-fixtures.js';
import { SIGNER_ERRORS, MOCK_VALID_ATTESTATION } from '../../../shared/near/signer-abi.js';
import { DevnetChain, defaultChainConfig } from '../../../services/devnet/chain/chain.js';
import { text } from '../../../services/devnet/chain/chain-testing.js';
import { LocalSigner } from '../../../services/devnet/chain/local-signer.js';
import type { ChainTransaction, NearErrorJson } from '../../../services/devnet/chain/types.js';

const NEAR = 10n ** 24n;
const TGAS = 10n ** 12n;
const FIXTURES = fileURLToPath(new URL('../../../../shared/fixtures/near-mpc/', import.meta.url));
const SIGNER = 'signer.devnet';
const NODES = ['node0.devnet', 'node1.devnet', 'node2.devnet', 'node3.devnet'] as const;
const USER = 'user.devnet';
const ACCOUNTS = [SIGNER, ...NODES, USER] as const;
type Actor = (typeof ACCOUNTS)[number];
const YIELD_TIMEOUT_BLOCKS = 8;

/** The same account keys on both chains, so that `signer_account_pk` and every registration match. */
const KEYS = new Map(ACCOUNTS.map((account) => [account, KeyPair.fromRandom('ed25519')]));

type Outcome = { readonly ok: true; readonly value: unknown } | { readonly ok: false; readonly error: string };

/** One chain with one signer contract on it. */
class SignerUnderTest {
  readonly chain: DevnetChain;
  private readonly signers: Map<string, LocalSigner>;

  constructor(contract: { library: true } | { wasm: Uint8Array }, now: () => number) {
    this.chain = DevnetChain.open({
      now,
      config: defaultChainConfig({ yieldTimeoutBlocks: YIELD_TIMEOUT_BLOCKS }),
      library: [mpcSignerContract],
      genesis: {
        accounts: [
          { accountId: 'devnet', balance: 1_000n * NEAR },
          ...ACCOUNTS.map((accountId) => ({
            accountId,
            balance: 100n * NEAR,
            publicKeys: [KEYS.get(accountId)!.getPublicKey().toString()],
            ...(accountId === SIGNER ? ('wasm' in contract ? { wasm: contract.wasm } : { contract: mpcSignerContract.name }) : {}),
          })),
        ],
      },
    });
    this.signers = new Map(ACCOUNTS.map((account) => [account, new LocalSigner(this.chain, account, KEYS.get(account)!)]));
  }

  send(actor: Actor, method: string, args: unknown, deposit: bigint, gas: bigint): Promise<ChainTransaction> {
    return this.signers.get(actor)!.send(SIGNER, [actionCreators.functionCall(method, new TextEncoder().encode(JSON.stringify(args)), gas, deposit)]);
  }

  outcome(hash: string): Outcome | null {
    const result = this.chain.transactionResult(hash);
    if (result.phase !== 'included' || !result.complete) return null;
    if (result.status.kind === 'Failure') return { ok: false, error: panicText(result.status.error) };
    if (result.status.kind !== 'SuccessValue') return null;
    const raw = text(result.status.value);
    return { ok: true, value: raw === '' ? null : JSON.parse(raw) };
  }

  view(method: string, args: unknown = {}): Outcome {
    try {
      const raw = text(this.chain.callView(SIGNER, method, new TextEncoder().encode(JSON.stringify(args))).result);
      return { ok: true, value: JSON.parse(raw) };
    } catch (error) {
      return { ok: false, error: viewPanicText(error) };
    }
  }
}

function panicText(error: NearErrorJson): string {
  const message = JSON.stringify(error);
  const match = /Smart contract panicked: (.*)"\}\}\}\}$/.exec(message);
  return match === null ? message : JSON.parse(`"${match[1]}"`);
}

function viewPanicText(error: unknown): string {
  const detail = (error as { functionCallError?: { HostError?: { GuestPanic?: { panic_msg?: string } } } }).functionCallError?.HostError?.GuestPanic?.panic_msg;
  return detail ?? String(error);
}

/** near-sdk's wrapping of a Rust `panic!`/`assert!` (location, assertion text) removed: the message the contract chose. */
function coreText(error: string): string {
  return error.replace(/^panicked at [^\n]*:\n/, '').replace(/^assertion failed: `Err\((\w+)\)` does not match `Ok\(\(\)\)`: (.*)$/s, '$2 ($1)').replace(/^assertion `left == right` failed: (.*?)\n.*$/s, '$1');
}

/**
 * near/mpc keeps resharing cancellations in a Rust `HashSet`, whose JSON order follows hashing with
 * per-run keys; ours is sorted. Compared as sets.
 */
function sortedCancellations(value: unknown): unknown {
  const resharing = (value as { Resharing?: { cancellation_requests: string[] } } | null)?.Resharing;
  if (resharing === undefined) return value;
  return { Resharing: { ...resharing, cancellation_requests: [...resharing.cancellation_requests].sort() } };
}

/** How a step's outcomes must agree. */
type Agreement = 'same' | 'both-fail';

const DAY_SECONDS = 86_400;

/**
 * What near/mpc 3.14.1 changed from 3.14.0 (our model keeps 3.14.0's values): a 21-day launcher-hash
 * TTL (was 14) and a 21-day lifetime for a submitted mock attestation (was 7).
 */
function as3140(value: unknown): unknown {
  const config = value as { launcher_hash_unused_ttl_seconds?: number } | null;
  if (config?.launcher_hash_unused_ttl_seconds === 21 * DAY_SECONDS) return { ...config, launcher_hash_unused_ttl_seconds: 14 * DAY_SECONDS };
  const mock = (value as { Mock?: { WithConstraints?: { expiry_timestamp_seconds: number } } } | null)?.Mock?.WithConstraints;
  if (mock !== undefined) return { Mock: { WithConstraints: { ...mock, expiry_timestamp_seconds: mock.expiry_timestamp_seconds - 14 * DAY_SECONDS } } };
  return value;
}

describe.each([
  ['3.14.0', 'signer-3_14_0.wasm', (value: unknown) => value],
  ['3.14.1', 'signer-3_14_1.wasm', as3140],
])('our signer model against near/mpc %s, step by step', (_version, file, normaliseReal) => {
  // One clock for both chains, read once per pair of blocks: block timestamps (and what contracts derive
  // from them, e.g. an attestation's expiry in seconds) are equal even when the pair straddles a second.
  const clock = { ms: Date.now() };
  const model = new SignerUnderTest({ library: true }, () => clock.ms);
  const real = new SignerUnderTest({ wasm: new Uint8Array(readFileSync(`${FIXTURES}${file}`)) }, () => clock.ms);
  const pending: { label: string; model: string; real: string }[] = [];

  /** The next block on both chains, stamped with the same time (so heights and timestamps stay equal). */
  function produceBoth(): void {
    clock.ms = Date.now();
    const [ours, theirs] = [model.chain.produceBlock().header, real.chain.produceBlock().header];
    expect([ours.height, ours.timestampNs]).toEqual([theirs.height, theirs.timestampNs]);
  }

  /** Produces blocks on both chains together until `done` holds on both. */
  function produceUntil(done: () => boolean, maxBlocks = 40): void {
    for (let produced = 0; !done(); produced += 1) {
      if (produced >= maxBlocks) throw new Error(`not done after ${maxBlocks} blocks`);
      produceBoth();
    }
  }

  async function submit(actor: Actor, method: string, args: unknown, options: { deposit?: bigint; gas?: bigint } = {}) {
    const deposit = options.deposit ?? 0n;
    const gas = options.gas ?? 300n * TGAS;
    return { model: (await model.send(actor, method, args, deposit, gas)).hash, real: (await real.send(actor, method, args, deposit, gas)).hash };
  }

  function expectAgreement(label: string, modelOutcome: Outcome, realOutcome: Outcome, agreement: Agreement): void {
    if (agreement === 'both-fail') {
      expect({ label, model: modelOutcome.ok, real: realOutcome.ok }).toEqual({ label, model: false, real: false });
      return;
    }
    const normalise = (outcome: Outcome) => (outcome.ok ? { ok: true, value: sortedCancellations(outcome.value) } : { ok: false, error: coreText(outcome.error) });
    const realValue = realOutcome.ok ? { ok: true, value: normaliseReal(realOutcome.value) } : realOutcome;
    expect({ label, outcome: normalise(modelOutcome) }).toEqual({ label, outcome: normalise(realValue as Outcome) });
  }

  /** The views a client or node reads, identical on both. */
  function expectSameViews(label: string): void {
    for (const [method, args] of [
      ['state', {}],
      ['config', {}],
      ['public_key', {}],
      ['public_key', { domain_id: 1 }],
      ['derived_public_key', { path: 'p', predecessor: USER }],
      ['derived_public_key', { path: 'p', predecessor: USER, domain_id: 1 }],
      ['latest_key_version', {}],
      ['latest_key_version', { signature_scheme: 'Edwards25519' }],
      ['get_attestation', { tls_public_key: participantInfo(NODES[0]).tls_public_key }],
      ['get_attestation', { tls_public_key: participantInfo(USER).tls_public_key }],
    ] as const) {
      expectAgreement(`${label}: view ${method} ${JSON.stringify(args)}`, model.view(method, args), real.view(method, args), 'same');
    }
  }

  /** One transaction on both chains, run to its end, compared; then the views. */
  async function step(label: string, actor: Actor, method: string, args: unknown, options: { deposit?: bigint; gas?: bigint; agreement?: Agreement } = {}): Promise<Outcome> {
    const hashes = await submit(actor, method, args, options);
    produceUntil(() => model.outcome(hashes.model) !== null && real.outcome(hashes.real) !== null);
    const modelOutcome = model.outcome(hashes.model)!;
    expectAgreement(label, modelOutcome, real.outcome(hashes.real)!, options.agreement ?? 'same');
    expectSameViews(label);
    return modelOutcome;
  }

  /** A `sign` left running (it yields); compared when it ends. */
  async function startSign(label: string, request: unknown, deposit = 1n, gas = 15n * TGAS): Promise<void> {
    const hashes = await submit(USER, 'sign', { request }, { deposit, gas });
    pending.push({ label, ...hashes });
    produceUntil(() => model.chain.transactionResult(hashes.model).phase === 'included' && real.chain.transactionResult(hashes.real).phase === 'included');
    produceBoth();
  }

  function finishSign(label: string): void {
    const sign = pending.find((entry) => entry.label === label)!;
    produceUntil(() => model.outcome(sign.model) !== null && real.outcome(sign.real) !== null);
    expectAgreement(`sign ${label} result`, model.outcome(sign.model)!, real.outcome(sign.real)!, 'same');
  }

  const participants = (count: number) => ({ next_id: count, participants: NODES.slice(0, count).map((account, id) => [account, id, participantInfo(account)]) });
  const threeNodes = { participants: participants(3), threshold: 2 };
  const fourNodes = { participants: participants(4), threshold: 3 };
  const domain = (id: number, protocol: string, purpose = 'Sign', reconstruction_threshold = 2) => ({ id, protocol, reconstruction_threshold, purpose });
  const keyEvent = (domain_id: number, attempt_id: number, epoch_id = 0) => ({ epoch_id, domain_id, attempt_id });
  const PAYLOAD = '3a'.repeat(32);
  const ecdsaRequest = (path: string) => ({ tweak: tweakBytes(USER, path), payload: { Ecdsa: PAYLOAD }, domain_id: 0 });

  it('agrees before init, on init and on registering nodes', async () => {
    expectAgreement('state before init', model.view('state'), real.view('state'), 'same');
    await step('a node registers before init', NODES[0], 'submit_participant_info', { proposed_participant_attestation: MOCK_VALID_ATTESTATION, tls_public_key: participantInfo(NODES[0]).tls_public_key });
    expectAgreement('a pending request before init', model.view('get_pending_request', { request: ecdsaRequest('p') }), real.view('get_pending_request', { request: ecdsaRequest('p') }), 'same');
    await step('init with a threshold below 60 %', SIGNER, 'init', { parameters: { participants: participants(4), threshold: 2 } });
    await step('init', SIGNER, 'init', { parameters: threeNodes });
    await step('a second init', SIGNER, 'init', { parameters: threeNodes }, { agreement: 'both-fail' });
    for (const node of NODES) await step(`${node} registers`, node, 'submit_participant_info', { proposed_participant_attestation: MOCK_VALID_ATTESTATION, tls_public_key: participantInfo(node).tls_public_key });
    await step("another account registers a node's mesh key", USER, 'submit_participant_info', { proposed_participant_attestation: MOCK_VALID_ATTESTATION, tls_public_key: participantInfo(NODES[0]).tls_public_key });
    await step('an invalid mock attestation', USER, 'submit_participant_info', { proposed_participant_attestation: { Mock: 'Invalid' }, tls_public_key: participantInfo(USER).tls_public_key });
  });

  it('agrees on adding domains, refused proposals included', async () => {
    await step('Frost for foreign transactions', NODES[0], 'vote_add_domains', { domains: [domain(0, 'Frost', 'ForeignTx')] });
    await step('a reconstruction threshold of 1', NODES[0], 'vote_add_domains', { domains: [domain(0, 'CaitSith', 'Sign', 1)] });
    await step('a reconstruction threshold above the participants', NODES[0], 'vote_add_domains', { domains: [domain(0, 'CaitSith', 'Sign', 4)] });
    await step('no domains', NODES[0], 'vote_add_domains', { domains: [] });
    await step('a stranger votes', USER, 'vote_add_domains', { domains: [domain(0, 'CaitSith')] });
    await step('keygen before Initializing', NODES[0], 'start_keygen_instance', { key_event_id: keyEvent(0, 0) });
    const domains = [domain(0, 'CaitSith'), domain(1, 'Frost')];
    await step('node0 votes the domains', NODES[0], 'vote_add_domains', { domains });
    await step('node1 votes other domains', NODES[1], 'vote_add_domains', { domains: [domain(0, 'CaitSith')] });
    await step('node1 changes its vote', NODES[1], 'vote_add_domains', { domains });
    await step('node2 votes: Initializing', NODES[2], 'vote_add_domains', { domains });
    await step('a response while Initializing', NODES[0], 'respond', { request: ecdsaRequest('p'), response: ecdsaResponse(USER, 'p', Buffer.from(PAYLOAD, 'hex')) });
  });

  it('agrees on key generation: leader, attempt ids, a key disagreement, an abort, a cancel vote', async () => {
    await step('a non-leader starts', NODES[1], 'start_keygen_instance', { key_event_id: keyEvent(0, 0) });
    await step('a wrong attempt id', NODES[0], 'start_keygen_instance', { key_event_id: keyEvent(0, 1) });
    await step('the leader starts', NODES[0], 'start_keygen_instance', { key_event_id: keyEvent(0, 0) });
    await step('a second start while open', NODES[0], 'start_keygen_instance', { key_event_id: keyEvent(0, 1) });
    await step('node0 votes a key', NODES[0], 'vote_pk', { key_event_id: keyEvent(0, 0), public_key: rootPublicKey('Secp256k1') });
    await step('node0 votes again', NODES[0], 'vote_pk', { key_event_id: keyEvent(0, 0), public_key: rootPublicKey('Secp256k1') });
    await step('node1 votes another key: the attempt aborts', NODES[1], 'vote_pk', { key_event_id: keyEvent(0, 0), public_key: rootPublicKey('Ed25519') });
    await step('a vote for the aborted attempt', NODES[2], 'vote_pk', { key_event_id: keyEvent(0, 0), public_key: rootPublicKey('Secp256k1') });
    await step('a malformed key', NODES[2], 'vote_pk', { key_event_id: keyEvent(0, 0), public_key: 'secp256k1:nope' }, { agreement: 'both-fail' });
    await step('node1 votes to cancel', NODES[1], 'vote_cancel_keygen', { next_domain_id: 2 });
    await step('a cancel vote for another keygen', NODES[2], 'vote_cancel_keygen', { next_domain_id: 1 });
    await step('attempt 1 starts', NODES[0], 'start_keygen_instance', { key_event_id: keyEvent(0, 1) });
    for (const node of NODES.slice(0, 3)) await step(`${node} votes the secp256k1 key`, node, 'vote_pk', { key_event_id: keyEvent(0, 1), public_key: rootPublicKey('Secp256k1') });
    await step('domain 1 attempt 0 starts', NODES[0], 'start_keygen_instance', { key_event_id: keyEvent(1, 0) });
    await step('node2 aborts it', NODES[2], 'vote_abort_key_event_instance', { key_event_id: keyEvent(1, 0) });
    await step('domain 1 attempt 1 starts', NODES[0], 'start_keygen_instance', { key_event_id: keyEvent(1, 1) });
    for (const node of NODES.slice(0, 3)) await step(`${node} votes the Ed25519 key`, node, 'vote_pk', { key_event_id: keyEvent(1, 1), public_key: rootPublicKey('Ed25519') });
  });

  it('agrees on signs, responds and a timeout', async () => {
    await startSign('ecdsa', { path: 'p', payload_v2: { Ecdsa: PAYLOAD }, domain_id: 0 }, 5n * 10n ** 21n);
    await startSign('legacy', { path: 'legacy', payload: [...Buffer.from(PAYLOAD, 'hex')], key_version: 0 });
    await startSign('eddsa', { path: 'p', payload_v2: { Eddsa: 'abcd' }, domain_id: 1 });
    await startSign('unanswered', { path: 'never', payload_v2: { Ecdsa: PAYLOAD }, domain_id: 0 });
    await step('sign without a domain', USER, 'sign', { request: { path: 'p', payload_v2: { Ecdsa: PAYLOAD } } }, { deposit: 1n, gas: 15n * TGAS, agreement: 'both-fail' });
    await step('sign on an unknown domain', USER, 'sign', { request: { path: 'p', payload_v2: { Ecdsa: PAYLOAD }, domain_id: 7 } }, { deposit: 1n, gas: 15n * TGAS });
    await step('sign with too little gas', USER, 'sign', { request: { path: 'p', payload_v2: { Ecdsa: PAYLOAD }, domain_id: 0 } }, { deposit: 1n, gas: 14n * TGAS });
    await step('sign without a deposit', USER, 'sign', { request: { path: 'p', payload_v2: { Ecdsa: PAYLOAD }, domain_id: 0 } }, { deposit: 0n, gas: 15n * TGAS });
    for (const [label, request] of [
      ['ecdsa', ecdsaRequest('p')],
      ['legacy', ecdsaRequest('legacy')],
      ['eddsa', { tweak: tweakBytes(USER, 'p'), payload: { Eddsa: 'abcd' }, domain_id: 1 }],
    ] as const) {
      expectAgreement(`pending ${label}`, model.view('get_pending_request', { request }), real.view('get_pending_request', { request }), 'same');
    }
    const ecdsa = ecdsaResponse(USER, 'p', Buffer.from(PAYLOAD, 'hex'));
    await step('a stranger responds', USER, 'respond', { request: ecdsaRequest('p'), response: ecdsa });
    await step('a forged response', NODES[1], 'respond', { request: ecdsaRequest('p'), response: ecdsaResponse(USER, 'other', Buffer.from(PAYLOAD, 'hex')) });
    await step('node1 responds', NODES[1], 'respond', { request: ecdsaRequest('p'), response: ecdsa });
    await step('node2 responds again', NODES[2], 'respond', { request: ecdsaRequest('p'), response: ecdsa });
    await step('node2 answers the legacy request', NODES[2], 'respond', { request: ecdsaRequest('legacy'), response: ecdsaResponse(USER, 'legacy', Buffer.from(PAYLOAD, 'hex')) });
    const eddsaRequest = { tweak: tweakBytes(USER, 'p'), payload: { Eddsa: 'abcd' }, domain_id: 1 };
    const eddsa = ed25519Response(USER, 'p', Buffer.from('abcd', 'hex'));
    await step('an Ed25519 response for the secp256k1 domain', NODES[0], 'respond', { request: ecdsaRequest('p'), response: eddsa });
    await step('a Secp256k1 response for the Ed25519 domain', NODES[0], 'respond', { request: eddsaRequest, response: ecdsa });
    await step('an EdDSA payload named for the secp256k1 domain', NODES[0], 'respond', { request: { ...ecdsaRequest('p'), payload: { Eddsa: 'abcd' } }, response: ecdsa });
    await step('an ECDSA payload named for the Ed25519 domain', NODES[0], 'respond', { request: { ...eddsaRequest, payload: { Ecdsa: PAYLOAD } }, response: eddsa });
    await step('node0 answers EdDSA', NODES[0], 'respond', { request: eddsaRequest, response: eddsa });
    for (const label of ['ecdsa', 'legacy', 'eddsa', 'unanswered']) finishSign(label);
    expect(model.outcome(pending.find((entry) => entry.label === 'unanswered')!.model)).toEqual({ ok: false, error: SIGNER_ERRORS.requestTimedOut });
  });

  it('agrees on resharing to a fourth participant, on a cancelled resharing and on one that drops a participant', async () => {
    const proposal = { parameters: fourNodes, per_domain_thresholds: {} };
    await step('a proposal for the wrong epoch', NODES[0], 'vote_new_parameters', { prospective_epoch_id: 2, proposal });
    const withUnregistered = { parameters: { participants: { next_id: 5, participants: [...fourNodes.participants.participants, [USER, 4, participantInfo(USER)]] }, threshold: 3 }, per_domain_thresholds: {} };
    await step('a proposal with a participant whose node is not registered', NODES[0], 'vote_new_parameters', { prospective_epoch_id: 1, proposal: withUnregistered });
    await step('the newcomer votes first', NODES[3], 'vote_new_parameters', { prospective_epoch_id: 1, proposal });
    await step('node0 votes', NODES[0], 'vote_new_parameters', { prospective_epoch_id: 1, proposal });
    await step('node1 votes', NODES[1], 'vote_new_parameters', { prospective_epoch_id: 1, proposal });
    await step('the newcomer votes', NODES[3], 'vote_new_parameters', { prospective_epoch_id: 1, proposal });
    await step('node2 votes: Resharing', NODES[2], 'vote_new_parameters', { prospective_epoch_id: 1, proposal });
    for (const domainId of [0, 1]) {
      await step(`reshare domain ${domainId} starts`, NODES[0], 'start_reshare_instance', { key_event_id: keyEvent(domainId, 0, 1) });
      for (const node of NODES) await step(`${node} reshared domain ${domainId}`, node, 'vote_reshared', { key_event_id: keyEvent(domainId, 0, 1) });
    }
    const shrink = { parameters: { participants: { next_id: 4, participants: participants(4).participants.slice(0, 3) }, threshold: 3 }, per_domain_thresholds: { 1: 3 } };
    for (const node of NODES.slice(0, 3)) await step(`${node} votes to shrink`, node, 'vote_new_parameters', { prospective_epoch_id: 2, proposal: shrink });
    await step('node0 cancels', NODES[0], 'vote_cancel_resharing', {});
    await step('node0 cancels again', NODES[0], 'vote_cancel_resharing', {});
    await step('node1 cancels', NODES[1], 'vote_cancel_resharing', {});
    await step('node2 cancels: Running again', NODES[2], 'vote_cancel_resharing', {});
    await step('a proposal reusing the cancelled epoch', NODES[0], 'vote_new_parameters', { prospective_epoch_id: 2, proposal: shrink });
    // The add-domains vote of node3, which the next resharing drops, goes with it; node0's stays.
    for (const node of [NODES[0], NODES[3]]) await step(`${node} votes to add a domain`, node, 'vote_add_domains', { domains: [domain(2, 'CaitSith')] });
    for (const node of NODES.slice(0, 3)) await step(`${node} votes to shrink in epoch 3`, node, 'vote_new_parameters', { prospective_epoch_id: 3, proposal: shrink });
    for (const domainId of [0, 1]) {
      await step(`reshare domain ${domainId} in epoch 3 starts`, NODES[0], 'start_reshare_instance', { key_event_id: keyEvent(domainId, 0, 3) });
      for (const node of NODES.slice(0, 3)) await step(`${node} reshared domain ${domainId} in epoch 3`, node, 'vote_reshared', { key_event_id: keyEvent(domainId, 0, 3) });
    }
    expect(model.view('state')).toMatchObject({ ok: true, value: { Running: { keyset: { epoch_id: 3 }, add_domains_votes: { proposal_by_account: { 0: [domain(2, 'CaitSith')] } } } } });
  });
});
