/**
 * FROST(Ed25519) signing with every party in this process (no network), for (t, n) = (2, 3),
 * (3, 5), (5, 7) with t signers; keys come from the project's DKG. Metrics (per n, t):
 * - `eddsa.sign_ms`, `eddsa.signs_per_s`, `eddsa.sign_cpu_ms`: the online signing run with
 *   pre-committed nonces — one signature-share message per signer, aggregation and the final
 *   verification. This is the path the node takes (its stockpile holds EdDSA presignatures), and like
 *   `ecdsa.sign_ms` it leaves the presignature out. `signs_per_s` is 1000 / `sign_ms`, all parties
 *   sharing this process.
 * - `eddsa.sign_two_round_ms`, `eddsa.sign_two_round_cpu_ms`: the full run with fresh nonces
 *   (commitments, signing package, shares), for requests that find no presignature.
 * - `eddsa.presign_ms`: one nonce pre-commitment run (commitments plus echo), the offline part.
 * Baselines, in the same run: `baseline.ed25519_sign_ms` (Node's single-party Ed25519 signing) and
 * `baseline.noble_ed25519_verify_ms` (one noble verification, the cost of one variable-base
 * multiplication plus a base multiplication, which is what each FROST group commitment costs too).
 * Each run is timed as wall-clock median (the harness convention) and as CPU-time median
 * (`*_cpu_ms`), which stays meaningful on a loaded machine. Every party validates every point it
 * receives (libsodium, shared/crypto/eddsa/frost-ed25519.ts), so one process running all parties
 * does what separate nodes do together. See docs/decisions/0006-native-curve-arithmetic.md.
 */
import { generateKeyPairSync, randomBytes, sign as nodeSign } from 'node:crypto';
import { ed25519 } from '@noble/curves/ed25519.js';
import { deriveTweak } from '../../shared/crypto/kdf.js';
import type { ParticipantId } from '../../shared/crypto/protocol.js';
import { runProtocols } from '../../shared/crypto/runner.js';
import { EddsaPresignProtocol } from '../../shared/crypto/eddsa/presign.js';
import { coordinatorSignature, derivedPublicKeyOf, dkgKeyShares, signingParties } from '../../shared/crypto/eddsa/test-fixtures.js';
import { medianCpuMs, medianMs, type BenchRecord, type BenchSuite } from './records.js';
import { verifyEd25519Native } from '../../shared/crypto/ed25519-native.js';

const CONFIGURATIONS = [
  { n: 3, t: 2, repetitions: 21 },
  { n: 5, t: 3, repetitions: 15 },
  { n: 7, t: 5, repetitions: 9 },
] as const;
/** The online run is short enough to take more samples of in the same time. */
const ONLINE_REPETITIONS_FACTOR = 3;
const BASELINE_REPETITIONS = 2001;
const NOBLE_VERIFY_REPETITIONS = 201;
/** A typical Solana transaction is a few hundred bytes (the limit is 1232). */
const PAYLOAD = randomBytes(256);
const TWEAK = deriveTweak('bench.near', 'solana-1');

function benchConfiguration(n: number, t: number, repetitions: number, progress: (line: string) => void): BenchRecord[] {
  const participants: ParticipantId[] = Array.from({ length: n }, (_, i) => i);
  const keys = dkgKeyShares(t, participants);
  const signers = participants.slice(0, t);
  const coordinator = signers[0]!;
  const derivedPublicKey = derivedPublicKeyOf(keys.get(coordinator)!, TWEAK);
  const signTwoRound = () => runProtocols(signingParties(keys, { signers, coordinator, payload: PAYLOAD, tweak: TWEAK }));
  if (!verifyEd25519Native(coordinatorSignature(signTwoRound().outputs, coordinator), PAYLOAD, derivedPublicKey)) {
    throw new Error(`the ${t}-of-${n} benchmark signature does not verify`);
  }
  const twoRoundMs = medianMs(repetitions, signTwoRound);
  const twoRoundCpuMs = medianCpuMs(repetitions, signTwoRound);

  const presign = () =>
    runProtocols(new Map(signers.map((me) => [me, new EddsaPresignProtocol({ keyShare: keys.get(me)!, participants: signers })]))).outputs;
  const presignMs = medianMs(repetitions, presign);
  // Pre-commitments are made outside the timed region: the online run is what a request waits for.
  const stock = Array.from({ length: 2 * ONLINE_REPETITIONS_FACTOR * repetitions + 1 }, presign);
  const signOnline = () => runProtocols(signingParties(keys, { signers, coordinator, payload: PAYLOAD, tweak: TWEAK, presignatures: stock.pop()! }));
  if (!verifyEd25519Native(coordinatorSignature(signOnline().outputs, coordinator), PAYLOAD, derivedPublicKey)) {
    throw new Error(`the ${t}-of-${n} presigned benchmark signature does not verify`);
  }
  const signMs = medianMs(ONLINE_REPETITIONS_FACTOR * repetitions, signOnline);
  const signCpuMs = medianCpuMs(ONLINE_REPETITIONS_FACTOR * repetitions, signOnline);

  progress(
    `n=${n} t=${t}: sign (presigned) ${signMs.toFixed(1)} ms (CPU ${signCpuMs.toFixed(1)} ms), two-round ${twoRoundMs.toFixed(1)} ms (CPU ${twoRoundCpuMs.toFixed(1)} ms), presign ${presignMs.toFixed(1)} ms`,
  );
  return [
    { metric: 'eddsa.sign_ms', n, t, value: signMs, unit: 'ms' },
    { metric: 'eddsa.signs_per_s', n, t, value: 1000 / signMs, unit: 'signatures/s' },
    { metric: 'eddsa.sign_cpu_ms', n, t, value: signCpuMs, unit: 'ms' },
    { metric: 'eddsa.sign_two_round_ms', n, t, value: twoRoundMs, unit: 'ms' },
    { metric: 'eddsa.sign_two_round_cpu_ms', n, t, value: twoRoundCpuMs, unit: 'ms' },
    { metric: 'eddsa.presign_ms', n, t, value: presignMs, unit: 'ms' },
  ];
}

function benchBaselines(progress: (line: string) => void): BenchRecord[] {
  const { privateKey } = generateKeyPairSync('ed25519');
  const nodeMs = medianMs(BASELINE_REPETITIONS, () => nodeSign(null, PAYLOAD, privateKey));
  // One variable-base plus one base multiplication: the cost unit of the FROST group commitment.
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
