/**
 * Beaver-triple generation (shared/crypto/ecdsa/triples), every party of a run in this process,
 * no network. Per (n, t): whole-network triples per second, CPU per party per triple and bytes
 * sent per party per triple, medians over a few runs of one batch each.
 *
 * Times are CPU time of this process (user + system), not wall time: the host is shared and a
 * preempted run would otherwise report the neighbours' load. All parties run on this one thread,
 * so "triples per second" is what one core does for the whole network; a deployment runs each
 * party on its own node.
 */
import { randomBytes } from '@noble/hashes/utils.js';
import type { Action, ParticipantId, Protocol } from '../../shared/crypto/protocol.js';
import { runProtocols } from '../../shared/crypto/runner.js';
import { generateTriples } from '../../shared/crypto/ecdsa/triples/triple-generation.js';
import type { Triple } from '../../shared/crypto/ecdsa/triple.js';
import { median, type BenchRecord, type BenchSuite } from './records.js';

/** Batch sizes and run counts keep the suite near 90 s on the 2-core dev host. */
const CONFIGURATIONS: readonly { readonly n: number; readonly t: number; readonly batchSize: number; readonly runs: number }[] = [
  { n: 3, t: 2, batchSize: 64, runs: 3 },
  { n: 5, t: 3, batchSize: 64, runs: 2 },
  { n: 7, t: 5, batchSize: 64, runs: 2 },
];

function cpuMsSince(start: NodeJS.CpuUsage): number {
  const used = process.cpuUsage(start);
  return (used.user + used.system) / 1000;
}

/** Wraps a party so the CPU time spent inside its own `poke` and `message` calls is counted. */
function metered(party: Protocol<readonly Triple[]>, account: { ms: number }): Protocol<readonly Triple[]> {
  return {
    poke(): Action<readonly Triple[]> {
      const start = process.cpuUsage();
      try {
        return party.poke();
      } finally {
        account.ms += cpuMsSince(start);
      }
    },
    message(from: ParticipantId, data: Uint8Array): void {
      const start = process.cpuUsage();
      party.message(from, data);
      account.ms += cpuMsSince(start);
    },
  };
}

interface RunSample {
  readonly networkCpuMs: number;
  readonly cpuMsPerParty: number;
  readonly bytesPerParty: number;
}

function runOnce(n: number, t: number, batchSize: number): RunSample {
  const participants = Array.from({ length: n }, (_, i) => i);
  const sessionId = randomBytes(32);
  const accounts = participants.map(() => ({ ms: 0 }));
  const parties = new Map(
    participants.map((me, i) => [me, metered(generateTriples({ participants, me, threshold: t, batchSize, sessionId }), accounts[i]!)]),
  );
  const start = process.cpuUsage();
  const { outputs, bytesSent } = runProtocols(parties);
  const networkCpuMs = cpuMsSince(start);
  if (outputs.size !== n || [...outputs.values()].some((triples) => triples.length !== batchSize)) throw new Error('a run returned no full batch');
  const mean = (values: readonly number[]) => values.reduce((sum, value) => sum + value, 0) / values.length;
  return {
    networkCpuMs,
    cpuMsPerParty: mean(accounts.map((account) => account.ms)),
    bytesPerParty: mean([...bytesSent.values()]),
  };
}

export const ecdsaTriplesSuite: BenchSuite = {
  name: 'ECDSA Beaver triples (OT-based), every party in one process, CPU time',
  group: 'crypto',
  async run(progress) {
    const records: BenchRecord[] = [];
    runOnce(2, 2, 1); // warm-up: JIT and noble's base-point table
    for (const { n, t, batchSize, runs } of CONFIGURATIONS) {
      const samples = Array.from({ length: runs }, () => runOnce(n, t, batchSize));
      const triplesPerSecond = median(samples.map((s) => (1000 * batchSize) / s.networkCpuMs));
      const cpuPerParty = median(samples.map((s) => s.cpuMsPerParty / batchSize));
      const bytesPerParty = median(samples.map((s) => s.bytesPerParty / batchSize));
      progress(`n=${n} t=${t}: batches of ${batchSize}, ${runs} runs: ${triplesPerSecond.toFixed(1)} triples/s`);
      records.push(
        { metric: 'ecdsa.triples_per_s', n, t, value: Number(triplesPerSecond.toFixed(2)), unit: 'triples/s' },
        { metric: 'ecdsa.triple_cpu_ms_per_party', n, t, value: Number(cpuPerParty.toFixed(2)), unit: 'ms' },
        { metric: 'ecdsa.triple_bytes_per_party', n, t, value: Math.round(bytesPerParty), unit: 'B' },
      );
    }
    return records;
  },
};
