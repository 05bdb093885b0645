// The node's registration against the signer model (in process): it registers with its account key,
// looks again and does nothing while the registration holds, registers again when it is about to
// expire, and a failed look is logged and retried at the next one.
import { Logger } from '@aws-lambda-powertools/logger';
import { participantInfo, THREE_NODES } from '../../../contract/testing/mpc-fixtures.js';
import { MOCK_ATTESTATION_LIFETIME_SECONDS, SIGNER_METHODS } from '../../../shared/near/signer-abi.js';
import { InProcessSignerContract } from '../../../test/support/in-process-contract-chain.js';
import { MpcSignerClient, type Chain } from './chain.js';
import { DEFAULT_RENEW_BEFORE_EXPIRY_SECONDS, ParticipantRegistration, renewalReason } from './participant-registration.js';

const NODE = THREE_NODES.participants.participants[0][0];
const TLS_KEY = participantInfo(NODE).tls_public_key;

/** The chain of `NODE`, counting its `submit_participant_info` calls; views can be made to fail. */
function countingChain(contract: InProcessSignerContract) {
  const chain = contract.chainFor(NODE);
  const counts = { submissions: 0, viewsFailing: false };
  const counting: Chain = {
    ...chain,
    view: (method, args) => (counts.viewsFailing ? Promise.reject(new Error('RPC down')) : chain.view(method, args)),
    call: (method, args, options) => {
      if (method === SIGNER_METHODS.submitParticipantInfo) counts.submissions += 1;
      return chain.call(method, args, options);
    },
  };
  return { counting, counts };
}

function setup(nowMs: () => number) {
  const contract = new InProcessSignerContract();
  contract.init({ parameters: THREE_NODES });
  const { counting, counts } = countingChain(contract);
  const warnings: unknown[] = [];
  const logger = new Logger({ serviceName: 'test', logLevel: 'SILENT' });
  logger.warn = (...args: unknown[]) => void warnings.push(args);
  const registration = new ParticipantRegistration({ contract: new MpcSignerClient(counting), tlsPublicKey: TLS_KEY, checkIntervalMs: 60_000, logger, now: nowMs });
  return { contract, registration, counts, warnings };
}

/** The expiry the model stored with the last submission. */
function storedExpiry(contract: InProcessSignerContract): number {
  const stored = contract.view(SIGNER_METHODS.getAttestation, { tls_public_key: TLS_KEY }) as { Mock: { WithConstraints: { expiry_timestamp_seconds: number } } };
  return stored.Mock.WithConstraints.expiry_timestamp_seconds;
}

describe('ParticipantRegistration', () => {
  it('registers with the account key; a look while the registration holds sends nothing', async () => {
    let now = 0;
    const { contract, registration, counts } = setup(() => now);
    // init's placeholder is there, but it is not bound to the node's account key.
    expect(contract.view(SIGNER_METHODS.getAttestation, { tls_public_key: TLS_KEY })).toEqual({ Mock: 'Valid' });
    await registration.register();
    expect(registration.isRegistered).toBe(true);
    now = (storedExpiry(contract) - MOCK_ATTESTATION_LIFETIME_SECONDS) * 1000;
    await registration.check();
    expect(counts.submissions).toBe(1);
  });

  it('registers again when the registration expires within a day, and the new one lasts longer', async () => {
    let now = 0;
    const { contract, registration, counts, warnings } = setup(() => now);
    await registration.register();
    const firstExpiry = storedExpiry(contract);
    now = (firstExpiry - DEFAULT_RENEW_BEFORE_EXPIRY_SECONDS - 60) * 1000;
    await registration.check();
    expect(counts.submissions).toBe(1);
    now = (firstExpiry - DEFAULT_RENEW_BEFORE_EXPIRY_SECONDS) * 1000;
    contract.testbed.advanceBlocks(1_000);
    await registration.check();
    expect(counts.submissions).toBe(2);
    expect(storedExpiry(contract)).toBeGreaterThan(firstExpiry);
    expect(warnings).toEqual([['registering with the signer contract again', { tlsPublicKey: TLS_KEY, reason: `the registration expires at ${new Date(firstExpiry * 1000).toISOString()}` }]]);
  });

  it('logs a failed look and sends nothing; the next look retries', async () => {
    const { registration, counts, warnings } = setup(() => 0);
    counts.viewsFailing = true;
    await registration.check();
    expect(counts.submissions).toBe(0);
    expect(warnings).toEqual([['checking this node’s registration failed; will look again', { error: 'RPC down' }]]);
    counts.viewsFailing = false;
    await registration.check();
    // The placeholder from init holds no expiry: nothing to renew until the node registers itself.
    expect(counts.submissions).toBe(0);
  });
});

describe('renewalReason', () => {
  const withExpiry = (expiry: number | null) => ({ Mock: { WithConstraints: { mpc_docker_image_hash: null, launcher_docker_compose_hash: null, expiry_timestamp_seconds: expiry, expected_measurements: null } } });

  it.each([
    ['no registration', null, 1_000, 'the contract holds no registration for this node'],
    ['a placeholder without expiry', { Mock: 'Valid' as const }, 1_000, null],
    ['a mock without expiry', withExpiry(null), 1_000, null],
    ['an expiry beyond the margin', withExpiry(1_000 + 101), 1_000, null],
    ['an expiry at the margin', withExpiry(1_000 + 100), 1_000, `the registration expires at ${new Date(1_100_000).toISOString()}`],
    ['an expiry passed', withExpiry(999), 1_000, `the registration expires at ${new Date(999_000).toISOString()}`],
  ])('%s', (_name, stored, nowSeconds, reason) => {
    expect(renewalReason(stored, nowSeconds, 100)).toBe(reason);
  });
});
