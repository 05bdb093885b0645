import { ed25519 } from '@noble/curves/ed25519.js';
import { bytesToHex } from '@noble/hashes/utils.js';
import { base58 } from '@scure/base';
import { checkGovernanceThreshold, readDomains, readGovernanceParameters, readInitConfig, readParticipants, readPerDomainThresholds } from './signer-arguments.js';
import { UsageError } from './usage-error.js';

const publicKeys = [1, 2, 3, 4].map((seed) => ed25519.getPublicKey(new Uint8Array(32).fill(seed)));
const tls = publicKeys.map((key) => `ed25519:${base58.encode(key)}`);
const url = (id: number) => `https://node${id}.example.org`;
const friendly = (count: number) => Array.from({ length: count }, (_, id) => ({ account_id: `node${id}.near`, url: url(id), tls_public_key: tls[id] }));
const tuples = (count: number) => Array.from({ length: count }, (_, id) => [`node${id}.near`, id, { url: url(id), tls_public_key: tls[id] }]);

const participants = (value: unknown) => readParticipants('contract init', '--participants', value);
const refusal = (read: () => unknown): string => {
  try {
    read();
  } catch (error) {
    if (error instanceof UsageError) return error.message;
    throw error;
  }
  throw new Error('accepted');
};

describe('participants for init and new parameters', () => {
  it('reads the friendly form, numbering by position, with next_id one past the highest id', () => {
    expect(participants(friendly(3))).toEqual({ next_id: 3, participants: tuples(3) });
  });

  it('reads the contract’s tuples and its {next_id, participants} as they are', () => {
    expect(participants(tuples(3))).toEqual({ next_id: 3, participants: tuples(3) });
    expect(participants({ next_id: 7, participants: tuples(2) })).toEqual({ next_id: 7, participants: tuples(2) });
  });

  it('takes explicit ids and a hex mesh key, which it writes in NEAR form', () => {
    const entries = [
      { account_id: 'a.near', id: 4, url: url(0), tls_public_key: bytesToHex(publicKeys[0]!) },
      { account_id: 'b.near', id: 2, url: url(1), tls_public_key: tls[1] },
    ];
    expect(participants(entries)).toEqual({ next_id: 5, participants: [['a.near', 4, { url: url(0), tls_public_key: tls[0] }], ['b.near', 2, { url: url(1), tls_public_key: tls[1] }]] });
  });

  it.each([
    ['an id twice', [...friendly(2), { account_id: 'x.near', id: 1, url: url(2), tls_public_key: tls[2] }], 'participant id 1 is given twice'],
    ['an account twice', [...friendly(2), { account_id: 'node0.near', url: url(2), tls_public_key: tls[2] }], 'account node0.near is given twice'],
    ['a mesh key twice', [...friendly(2), { account_id: 'x.near', url: url(2), tls_public_key: tls[0] }], `tls_public_key ${tls[0]} is given twice`],
    ['an id not below next_id', { next_id: 2, participants: tuples(3) }, 'participant node2.near has id 2, not below next_id 2'],
    ['a key that is not base58', [{ ...friendly(1)[0], tls_public_key: 'ed25519:0OIl' }], '--participants[0].tls_public_key: invalid public key "ed25519:0OIl": the part after the colon is not base58'],
    ['a key of 31 bytes', [{ ...friendly(1)[0], tls_public_key: `ed25519:${base58.encode(new Uint8Array(31))}` }], 'ed25519 key must be 32 bytes, got 31'],
    ['a secp256k1 key', [{ ...friendly(1)[0], tls_public_key: `secp256k1:${base58.encode(new Uint8Array(64))}` }], 'expected a ed25519 key, got secp256k1'],
    ['a URL without a scheme', [{ ...friendly(1)[0], url: 'node0.example.org:443' }], '--participants[0].url: "node0.example.org:443" is not an http(s) URL'],
    ['a misspelled field', [{ ...friendly(1)[0], acount_id: 'x' }], '--participants[0]: unknown field "acount_id"'],
    ['a missing account', [{ url: url(0), tls_public_key: tls[0] }], '--participants[0].account_id: expected a non-empty string'],
    ['a tuple of two', [['node0.near', 0]], '--participants[0]: expected [account_id, participant_id, {url, tls_public_key}]'],
    ['a negative id', [['node0.near', -1, { url: url(0), tls_public_key: tls[0] }]], '--participants[0][1]: expected a whole number of at least 0, got -1'],
    ['no participants', [], '--participants: no participants'],
    ['a string', 'node0.near', '--participants: expected a JSON object, got "node0.near"'],
  ])('refuses %s', (_name, value, message) => {
    expect(refusal(() => participants(value))).toContain(message);
  });
});

describe('the governance threshold (near/mpc: at least 2 and ⌈3n/5⌉, at most n)', () => {
  it.each([
    [2, 2],
    [3, 2],
    [4, 3],
    [5, 3],
    [7, 5],
    [10, 6],
  ])('with %i participants the least is %i', (n, least) => {
    expect(() => checkGovernanceThreshold('contract init', '--threshold', least, n)).not.toThrow();
    expect(() => checkGovernanceThreshold('contract init', '--threshold', n, n)).not.toThrow();
    expect(refusal(() => checkGovernanceThreshold('contract init', '--threshold', least - 1, n))).toBe(
      `contract init: --threshold ${least - 1} is below near/mpc's minimum for ${n} participants: ${least} (at least 2, and at least 60 % of them, rounded up)`,
    );
    expect(refusal(() => checkGovernanceThreshold('contract init', '--threshold', n + 1, n))).toBe(`contract init: --threshold ${n + 1} exceeds the number of participants, ${n}`);
  });

  it('is checked in vote new-parameters’ --parameters', () => {
    expect(readGovernanceParameters('vote new-parameters', '--parameters', { participants: friendly(4), threshold: 3 })).toEqual({ participants: { next_id: 4, participants: tuples(4) }, threshold: 3 });
    expect(refusal(() => readGovernanceParameters('vote new-parameters', '--parameters', { participants: friendly(4), threshold: 2 }))).toContain('--parameters.threshold 2 is below');
    expect(refusal(() => readGovernanceParameters('vote new-parameters', '--parameters', { participants: friendly(4) }))).toContain('--parameters.threshold: expected a whole number');
  });
});

describe('domains', () => {
  const domain = (id: number, protocol = 'CaitSith', purpose = 'Sign', threshold = 2) => ({ id, protocol, reconstruction_threshold: threshold, purpose });
  const domains = (value: unknown) => readDomains('vote add-domains', '--domains', value);

  it('reads consecutive domains of allowed protocol and purpose', () => {
    const value = [domain(2), domain(3, 'Frost'), domain(4, 'ConfidentialKeyDerivation', 'CKD'), domain(5, 'CaitSith', 'ForeignTx', 3), domain(6, 'DamgardEtAl')];
    expect(domains(value)).toEqual(value);
  });

  it.each([
    ['an unknown protocol', [domain(0, 'Ecdsa')], '--domains[0].protocol: expected one of CaitSith, DamgardEtAl, Frost, ConfidentialKeyDerivation, got "Ecdsa"'],
    ['an unknown purpose', [domain(0, 'CaitSith', 'sign')], '--domains[0].purpose: expected one of Sign, ForeignTx, CKD, got "sign"'],
    ['a purpose the protocol cannot serve', [domain(0, 'Frost', 'ForeignTx')], '--domains[0]: a ForeignTx domain runs CaitSith, not Frost'],
    ['a reconstruction threshold of 1', [domain(0, 'CaitSith', 'Sign', 1)], '--domains[0].reconstruction_threshold: expected a whole number of at least 2, got 1'],
    ['a gap in the ids', [domain(0), domain(2)], '--domains[1].id: domain ids must be consecutive, got 0 then 2'],
    ['no domains', [], 'no domains'],
    ['a missing field', [{ id: 0, protocol: 'CaitSith', purpose: 'Sign' }], '--domains[0].reconstruction_threshold: expected a whole number'],
    ['an object instead of a list', domain(0), '--domains: expected a JSON array'],
  ])('refuses %s', (_name, value, message) => {
    expect(refusal(() => domains(value))).toContain(message);
  });
});

describe('per-domain thresholds and init_config', () => {
  it('reads thresholds by domain id within the new set', () => {
    expect(readPerDomainThresholds('vote new-parameters', '--per-domain-thresholds', { 0: 3, 1: 2 }, 4)).toEqual({ 0: 3, 1: 2 });
    expect(refusal(() => readPerDomainThresholds('vote new-parameters', '--per-domain-thresholds', { 0: 5 }, 4))).toContain('.0: threshold 5 exceeds the 4 proposed participants');
    expect(refusal(() => readPerDomainThresholds('vote new-parameters', '--per-domain-thresholds', { x: 2 }, 4))).toContain('"x" is not a domain id');
    expect(refusal(() => readPerDomainThresholds('vote new-parameters', '--per-domain-thresholds', [2], 4))).toContain('expected a JSON object');
  });

  it('reads config() fields, refusing unknown ones', () => {
    expect(readInitConfig('contract init', '--init-config', { key_event_timeout_blocks: 100, fail_on_timeout_tera_gas: null })).toEqual({ key_event_timeout_blocks: 100, fail_on_timeout_tera_gas: null });
    expect(refusal(() => readInitConfig('contract init', '--init-config', { key_event_timeout: 100 }))).toContain('--init-config: unknown field "key_event_timeout"');
    expect(refusal(() => readInitConfig('contract init', '--init-config', { key_event_timeout_blocks: '100' }))).toContain('--init-config.key_event_timeout_blocks: expected a whole number');
  });
});
