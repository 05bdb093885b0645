/**
 * Threshold ECDSA presign and sign, all parties of one run in this process (no network), against
 * single-party noble signing as a baseline. Inputs come from the TEST-ONLY dealer
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
import { medianMs, type BenchRecord, type BenchSuite } from './records.js';

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
  name: 'ECDSA presign + sign, every party in one process (dealt test-fixture key and triples)',
  group: 'crypto',
  async run(progress) {
    const records: BenchRecord[] = [];
    const secretKey = secp256k1.utils.randomSecretKey();
    const baselinePayload = randomPayloadHash();
    const baseline = medianMs(REPETITIONS * 5, () => secp256k1.sign(baselinePayload, secretKey, { prehash: false }));
    records.push({ metric: 'baseline.secp256k1_sign_ms', n: 1, t: 1, value: baseline, unit: 'ms' });
    for (const { n, t } of CONFIGURATIONS) {
      // Every party signs (the set a run of N nodes would use); each run consumes fresh inputs.
      const participants: ParticipantId[] = Array.from({ length: n }, (_, i) => i);
      const key = dealKey(participants, t);
      const triplePairs = Array.from({ length: REPETITIONS }, () => [dealTriple(participants, t), dealTriple(participants, t)] as const);
      let run = 0;
      const presignMs = medianMs(REPETITIONS, () => {
        const [nonceTriple, multiplicationTriple] = triplePairs[run++]!;
        runProtocols(presignParties(key, nonceTriple, multiplicationTriple, participants));
      });
      const presignatures: ReadonlyMap<ParticipantId, PresignatureShare>[] = Array.from({ length: REPETITIONS }, () => presign(key, participants));
      run = 0;
      const signMs = medianMs(REPETITIONS, () => {
        runProtocols(signParties(presignatures[run++]!, randomRequest(), participants[0]!));
      });
      progress(`n=${n} t=${t}: presign ${presignMs.toFixed(2)} ms, sign ${signMs.toFixed(2)} ms`);
      records.push(
        { metric: 'ecdsa.presign_ms', n, t, value: presignMs, unit: 'ms' },
        { metric: 'ecdsa.sign_ms', n, t, value: signMs, unit: 'ms' },
        { metric: 'ecdsa.sign_vs_baseline', n, t, value: signMs / baseline, unit: 'x' },
      );
    }
    return records;
  },
};
