/**
 * Threshold ECDSA presign and sign, all parties of one run in this process (no network), against
 * single-party noble signing (`secp256k1.sign`, prehashed payload) as a baseline. Medians of CPU time. Inputs come from the TEST-ONLY dealer
 * (shared/crypto/ecdsa/test-fixtures.ts): triple generation is not measured here, and dealt triples
 * have the same shape as generated ones, so presign and sign cost the same either way.
 */
import { secp256k1 } from '@noble/curves/secp256k1.js';
import { randomBytes } from '@noble/hashes/utils.js';
import { deriveTweak } from '../../shared/crypto/kdf.js';
import type { ParticipantId } from '../../shared/crypto/protocol.js';
import { runProtocols } from '../../shared/crypto/runner.js';
import type { PresignatureShare } from '../../shared/crypto/ecdsa/presignature.js';
import { dealKey, dealTriple, presign, presignParties, signParties } from '../../shared/crypto/ecdsa/test-fixtures.js';
import type { SignRequest } from '../../shared/crypto/ecdsa/sign.js';
import { cpuMs, median, medianCpuMs, type BenchRecord, type BenchSuite } from './records.js';

const CONFIGURATIONS: readonly { readonly n: number; readonly t: number }[] = [
  { n: 3, t: 2 },
  { n: 5, t: 3 },
  { n: 7, t: 5 },
];
const REPETITIONS = 21;

/** A payload hash below the group order (the top byte below 0xff is enough). */
function randomPayloadHash(): Uint8Array {
  const hash = randomBytes(32);
  hash[0] = hash[0]! & 0x7f;
  return hash;
}

function randomRequest(): SignRequest {
  return { payloadHash: randomPayloadHash(), tweak: deriveTweak('bench.near', 'ethereum-1'), entropy: randomBytes(32) };
}

export const ecdsaSignSuite: BenchSuite = {
  name: 'ECDSA presign + sign, every party in one process, CPU time (dealt test-fixture key and triples)',
  group: 'crypto',
  async run(progress) {
    const records: BenchRecord[] = [];
    const secretKey = secp256k1.utils.randomSecretKey();
    const baselinePayload = randomPayloadHash();
    const baselineSign = () => secp256k1.sign(baselinePayload, secretKey, { prehash: false });
    medianCpuMs(REPETITIONS, baselineSign); // warm-up
    const baselineSamples: number[] = [];
    for (const { n, t } of CONFIGURATIONS) {
      // Every party signs (the set a run of N nodes would use); each run consumes fresh inputs.
      const participants: ParticipantId[] = Array.from({ length: n }, (_, i) => i);
      const key = dealKey(participants, t);
      const triplePairs = Array.from({ length: REPETITIONS }, () => [dealTriple(participants, t), dealTriple(participants, t)] as const);
      let run = 0;
      const presignMs = medianCpuMs(REPETITIONS, () => {
        const [nonceTriple, multiplicationTriple] = triplePairs[run++]!;
        runProtocols(presignParties(key, nonceTriple, multiplicationTriple, participants));
      });
      const presignatures: ReadonlyMap<ParticipantId, PresignatureShare>[] = Array.from({ length: REPETITIONS }, () => presign(key, participants));
      // Threshold and baseline signing alternate, so both see the same machine load and the ratio
      // stays meaningful on a busy host.
      const signSamples: number[] = [];
      const pairedBaseline: number[] = [];
      for (const presignature of presignatures) {
        const request = randomRequest();
        signSamples.push(cpuMs(() => runProtocols(signParties(presignature, request, participants[0]!))));
        pairedBaseline.push(cpuMs(baselineSign));
      }
      baselineSamples.push(...pairedBaseline);
      const signMs = median(signSamples);
      const ratio = signMs / median(pairedBaseline);
      progress(`n=${n} t=${t}: presign ${presignMs.toFixed(2)} ms, sign ${signMs.toFixed(2)} ms (${ratio.toFixed(1)}× noble)`);
      records.push(
        { metric: 'ecdsa.presign_ms', n, t, value: presignMs, unit: 'ms' },
        { metric: 'ecdsa.sign_ms', n, t, value: signMs, unit: 'ms' },
        { metric: 'ecdsa.sign_vs_baseline', n, t, value: ratio, unit: 'x' },
      );
    }
    records.unshift({ metric: 'baseline.secp256k1_sign_ms', n: 1, t: 1, value: median(baselineSamples), unit: 'ms' });
    return records;
  },
};
