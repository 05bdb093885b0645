/**
 * FROST(Ed25519) signing with every party in this process (no network): the full two-round run with
 * fresh nonces, the nonce pre-commitment run, and the one-message run that uses it, for
 * (t, n) = (2, 3), (3, 5), (5, 7) with t signers; plus Node's single-party Ed25519 signing as the
 * baseline and one noble Ed25519 verification (which every threshold signature includes) as the
 * floor. Keys come from the project's DKG. Each run is timed as wall-clock median (the harness
 * convention) and as CPU-time median (`*_cpu_ms`), which stays meaningful on a loaded machine.
 */
import { generateKeyPairSync, randomBytes, sign as nodeSign } from 'node:crypto';
import { ed25519 } from '@noble/curves/ed25519.js';
import { deriveTweak } from '../../shared/crypto/kdf.js';
import type { ParticipantId } from '../../shared/crypto/protocol.js';
import { runProtocols } from '../../shared/crypto/runner.js';
import { EddsaPresignProtocol } from '../../shared/crypto/eddsa/presign.js';
import { coordinatorSignature, derivedPublicKeyOf, dkgKeyShares, signingParties, verifyWithNodeCrypto } from '../../shared/crypto/eddsa/test-fixtures.js';
import { median, medianMs, type BenchRecord, type BenchSuite } from './records.js';

const CONFIGURATIONS = [
  { n: 3, t: 2, repetitions: 21 },
  { n: 5, t: 3, repetitions: 15 },
  { n: 7, t: 5, repetitions: 9 },
] as const;
const BASELINE_REPETITIONS = 2001;
const NOBLE_VERIFY_REPETITIONS = 201;
/** A typical Solana transaction is a few hundred bytes (the limit is 1232). */
const PAYLOAD = randomBytes(256);
const TWEAK = deriveTweak('bench.near', 'solana-1');

/**
 * Median CPU time (user + system) of `body`: on a shared machine wall-clock medians include time
 * spent waiting for a core, CPU time is the work itself. The runs are synchronous and
 * single-threaded, so process CPU time is this run's.
 */
function medianCpuMs(repetitions: number, body: () => void): number {
  const samples: number[] = [];
  for (let i = 0; i < repetitions; i += 1) {
    const start = process.cpuUsage();
    body();
    const used = process.cpuUsage(start);
    samples.push((used.user + used.system) / 1000);
  }
  return median(samples);
}

function benchConfiguration(n: number, t: number, repetitions: number, progress: (line: string) => void): BenchRecord[] {
  const participants: ParticipantId[] = Array.from({ length: n }, (_, i) => i);
  const keys = dkgKeyShares(t, participants);
  const signers = participants.slice(0, t);
  const coordinator = signers[0]!;
  const derivedPublicKey = derivedPublicKeyOf(keys.get(coordinator)!, TWEAK);
  const signOnce = () => runProtocols(signingParties(keys, { signers, coordinator, payload: PAYLOAD, tweak: TWEAK }));
  if (!verifyWithNodeCrypto(coordinatorSignature(signOnce().outputs, coordinator), PAYLOAD, derivedPublicKey)) {
    throw new Error(`the ${t}-of-${n} benchmark signature does not verify`);
  }
  const signMs = medianMs(repetitions, signOnce);
  const signCpuMs = medianCpuMs(repetitions, signOnce);

  const presign = () =>
    runProtocols(new Map(signers.map((me) => [me, new EddsaPresignProtocol({ keyShare: keys.get(me)!, participants: signers })]))).outputs;
  const presignMs = medianMs(repetitions, presign);
  // Pre-commitments are made outside the timed region: the online run is what a request waits for.
  const stock = Array.from({ length: 2 * repetitions }, presign);
  const signPresigned = () => {
    runProtocols(signingParties(keys, { signers, coordinator, payload: PAYLOAD, tweak: TWEAK, presignatures: stock.pop()! }));
  };
  const presignedMs = medianMs(repetitions, signPresigned);
  const presignedCpuMs = medianCpuMs(repetitions, signPresigned);

  progress(`n=${n} t=${t}: sign ${signMs.toFixed(1)} ms (CPU ${signCpuMs.toFixed(1)} ms), presign ${presignMs.toFixed(1)} ms, sign with presignature ${presignedMs.toFixed(1)} ms (CPU ${presignedCpuMs.toFixed(1)} ms)`);
  return [
    { metric: 'eddsa.sign_ms', n, t, value: signMs, unit: 'ms' },
    { metric: 'eddsa.signs_per_s', n, t, value: 1000 / signMs, unit: 'signatures/s' },
    { metric: 'eddsa.sign_cpu_ms', n, t, value: signCpuMs, unit: 'ms' },
    { metric: 'eddsa.presign_ms', n, t, value: presignMs, unit: 'ms' },
    { metric: 'eddsa.sign_presigned_ms', n, t, value: presignedMs, unit: 'ms' },
    { metric: 'eddsa.sign_presigned_cpu_ms', n, t, value: presignedCpuMs, unit: 'ms' },
  ];
}

function benchBaselines(progress: (line: string) => void): BenchRecord[] {
  const { privateKey } = generateKeyPairSync('ed25519');
  const nodeMs = medianMs(BASELINE_REPETITIONS, () => nodeSign(null, PAYLOAD, privateKey));
  // The floor under any pure-JS threshold signature here: the coordinator verifies before returning.
  const secretKey = ed25519.utils.randomSecretKey();
  const signature = ed25519.sign(PAYLOAD, secretKey);
  const publicKey = ed25519.getPublicKey(secretKey);
  const nobleVerifyMs = medianMs(NOBLE_VERIFY_REPETITIONS, () => ed25519.verify(signature, PAYLOAD, publicKey, { zip215: false }));
  progress(`Node crypto.sign (single party): ${(nodeMs * 1000).toFixed(1)} µs; noble ed25519.verify: ${nobleVerifyMs.toFixed(2)} ms`);
  return [
    { metric: 'baseline.ed25519_sign_ms', n: 1, t: 1, value: nodeMs, unit: 'ms' },
    { metric: 'baseline.noble_ed25519_verify_ms', n: 1, t: 1, value: nobleVerifyMs, unit: 'ms' },
  ];
}

export const eddsaSignBench: BenchSuite = {
  name: 'FROST(Ed25519) threshold signing',
  group: 'crypto',
  run: async (progress) => [
    ...CONFIGURATIONS.flatMap(({ n, t, repetitions }) => benchConfiguration(n, t, repetitions, progress)),
    ...benchBaselines(progress),
  ],
};
