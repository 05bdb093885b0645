/**
 * End to end: the whole local signing network (services/devnet/network/signing-network.ts) with N = 3
 * MPC node processes, threshold t = 2, 100 ms blocks, its own local AWS emulators, lake indexers and
 * devnet chain — the same network `npm start` runs — measured from a dApp's point of view.
 *
 * Latency is measured two ways, per verified request:
 * - on chain (the issue's "request to response in the contract"): from the block in which the signer's
 *   `sign` receipt ran and yielded to the block in which its resumed callback returned the signature —
 *   the first and last signer receipts of the call (SignClient.signCall), their block timestamps read
 *   back after the run. It covers the Lake writer and indexer delivering the request to every node, the
 *   nodes' checks and signing round, and the `respond` transaction's inclusion and execution;
 * - by the client: from the moment SignClient submits the `sign` transaction over JSON-RPC to the moment
 *   the RPC returns the contract's result. On top of the above: the transaction's own inclusion, the
 *   RPC's wait for the final outcome, and the client's polling.
 *
 * Four kinds of run, each a batch of requests, half ECDSA (domain 0, secp256k1) and half EdDSA (domain 1,
 * Ed25519), issued by workers that each own one client lane (an access key of the demo user with its own
 * nonce sequence), so at most as many requests as workers are in flight:
 * - cold: right after key generation, before the stockpile is warm (presignatures fill while it runs),
 *   COLD_CONCURRENCY workers;
 * - warm: once every node's stockpile reached its target (sustained run), CONCURRENCY workers; three
 *   times, the stockpile back at its target before each;
 * - light: the stockpile warm again, LIGHT_CONCURRENCY workers — about half the sustained rate, the
 *   latency of a network that is busy but not saturated;
 * - idle: once the stockpile is back at its target, one request at a time — the latency floor, with
 *   nothing queued and no generation under way.
 * Every answer is verified independently (verifySignRecord) once the run is over: the record's two key
 * views and the verification are the client's work, and done during the run they would take the cores
 * the network runs on. An error or an unverified answer counts as failed. Failed requests are reported (`e2e.failed_requests`, 0 for a valid run), not thrown.
 *
 * Records, per kind of run (suffix `_cold`, none for warm, `_light`, `_idle`): `e2e.sign_latency_p50_ms`,
 * `e2e.sign_latency_p99_ms` (on chain, nearest-rank percentiles over the verified requests of its runs),
 * `e2e.sign_latency_p50_blocks` (the same in block heights), `e2e.client_latency_p50_ms`,
 * `e2e.client_latency_p99_ms` (the client's); for cold, warm and light also `e2e.signs_per_s` (sustained:
 * verified answers per second while every lane is busy, from the first answer to the last submission;
 * warm: the median of its runs) and `e2e.signs_per_s_whole_run` (verified answers / wall seconds from
 * the first submission to the last answer); once: `e2e.stockpile_warm_s` (keygen done → stockpile warm:
 * presignatures at their target, triples within a batch of theirs, no generation run under way; with
 * the cold run in between), `e2e.failed_requests` (all runs), `e2e.block_time_ms`
 * (reference). What a signature costs, from the warm runs (./process-cpu.ts, Linux): `e2e.cpu_ms_per_sign`
 * (every process of the network) and `e2e.cpu_ms_per_sign_<component>` (nodes, indexers, launcher,
 * dynamodb, fauxqs, other), `e2e.idle_cpu_percent` (the quiet network's background), and against a
 * baseline measured in the same run — `e2e.baseline_secp256k1_sign_ms` (one noble sign, around each
 * warm run), `e2e.sign_cost_vs_baseline` (wall ms per sustained signature ÷ baseline) and
 * `e2e.cpu_ms_per_sign_vs_baseline` — so that runs on days of different machine speed compare.
 * `E2E_BENCH_QUICK=1` runs a reduced size (for checking the suite, not for numbers).
 */
import { secp256k1 } from '@noble/curves/secp256k1.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { utf8ToBytes } from '@noble/hashes/utils.js';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { verifySignRecord, type SignAnswer, type SignClient, type SignRecord } from '../../services/devnet/demo/sign-client.js';
import { describeStockpile, startSigningNetwork, stockpileWarm, type SigningNetwork, type StockpileTargets } from '../../services/devnet/network/signing-network.js';
import { cpuBetween, DEVNET_COMPONENTS, sampleDevnetCpu, type DevnetComponent } from './process-cpu.js';
import { median, medianCpuMs, type BenchRecord, type BenchSuite } from './records.js';

const NODES = 3;
const THRESHOLD = 2;
const BLOCK_TIME_MS = 100;
const QUICK = process.env.E2E_BENCH_QUICK === '1';
/** Requests of the cold run and of the warm (sustained) run; each half ECDSA, half EdDSA. */
const COLD_REQUESTS = QUICK ? 8 : 64;
const WARM_REQUESTS = QUICK ? 24 : 200;
/** Warm runs, each after the stockpile is back at its target; throughput is their median. */
const WARM_REPEATS = QUICK ? 1 : 3;
/** Client lanes of the warm run (the most requests in flight; the network gets this many lanes). */
const CONCURRENCY = QUICK ? 16 : 64;
/** Lanes of the cold run: fewer than its requests, so that it too has a stretch with every lane busy. */
const COLD_CONCURRENCY = QUICK ? 4 : 16;
/** Fewest answers a sustained-rate window must hold to be reported. */
const MIN_SUSTAINED_ANSWERS = 20;
/** Requests and lanes of the light run. */
const LIGHT_REQUESTS = QUICK ? 8 : 64;
const LIGHT_CONCURRENCY = QUICK ? 2 : 4;
/** Requests of the idle run, sent one at a time. */
const IDLE_REQUESTS = QUICK ? 4 : 12;
/**
 * Presignatures each node keeps per domain: the warm stockpile of the 3 nodes (3 × 64 per scheme)
 * covers the 100 requests per scheme of the warm run even if one node leads most of them. Each ECDSA
 * presignature takes 2 triples; triples are generated in batches of 32.
 */
const PRESIGNATURES_PER_NODE = QUICK ? 12 : 64;
const TRIPLE_TARGET = 2 * PRESIGNATURES_PER_NODE;
const TRIPLE_BATCH_SIZE = QUICK ? 8 : 32;
const STOCKPILE_TIMEOUT_MS = 15 * 60_000;
const KEYGEN_TIMEOUT_MS = 10 * 60_000;

const ON_CHAIN_LATENCY_UNIT = 'ms (on chain: block of the sign receipt → block of the resumed callback)';
const CLIENT_LATENCY_UNIT = 'ms (client: sign tx submitted → contract result received)';

interface Outcome {
  /** When the request was submitted and when its answer came back (ms since the epoch). */
  readonly submittedAt: number;
  readonly answeredAt?: number;
  readonly answer?: SignAnswer;
  readonly record?: SignRecord;
  readonly error?: string;
}

interface RunResult {
  readonly outcomes: readonly Outcome[];
  readonly wallMs: number;
  readonly startedAt: number;
  readonly endedAt: number;
  /** CPU milliseconds each component of the network used from the first submission to the last answer (undefined off Linux). */
  readonly cpuMs?: ReadonlyMap<DevnetComponent, number>;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Nearest-rank percentile of a non-empty sample. */
function percentile(samples: readonly number[], p: number): number {
  const sorted = [...samples].sort((a, b) => a - b);
  return sorted[Math.max(0, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

async function signOnce(signing: SigningNetwork, lane: number, label: string, index: number): Promise<Outcome> {
  const client = signing.clients[lane]!;
  const submittedAt = Date.now();
  try {
    const answer =
      index % 2 === 0
        ? await client.callSign({ domainId: 0, scheme: 'Secp256k1', path: `bench-${label}-eth-${index}`, payload: sha256(utf8ToBytes(`bench ${label} transfer #${index}`)) })
        : await client.callSign({ domainId: 1, scheme: 'Ed25519', path: `bench-${label}-sol-${index}`, payload: utf8ToBytes(`bench ${label} solana transaction #${index}`) });
    return { answer, submittedAt, answeredAt: Date.now() };
  } catch (error) {
    return { submittedAt, error: error instanceof Error ? error.message : String(error) };
  }
}

/**
 * Completes and verifies every answer of a run, after it: the key views and the client's verification
 * are the dApp's work, not the network's, and on this machine they would share its two cores.
 */
async function verifyAnswers(client: SignClient, outcomes: readonly Outcome[]): Promise<Outcome[]> {
  return Promise.all(
    outcomes.map(async (outcome) => {
      if (outcome.answer === undefined) return outcome;
      try {
        const record = await client.record(outcome.answer);
        verifySignRecord(record);
        return { ...outcome, record };
      } catch (error) {
        return { ...outcome, error: error instanceof Error ? error.message : String(error) };
      }
    }),
  );
}

/** `count` requests by `concurrency` workers, worker w signing with lane w (one nonce sequence each). */
async function runBatch(signing: SigningNetwork, label: string, count: number, concurrency: number, progress: (line: string) => void): Promise<RunResult> {
  const outcomes: Outcome[] = new Array(count);
  const workers = Math.min(count, concurrency, signing.clients.length);
  const reportEvery = Math.max(1, Math.ceil(count / 10));
  let next = 0;
  let done = 0;
  let failed = 0;
  const startedAt = Date.now();
  const worker = async (lane: number) => {
    for (let index = next++; index < count; index = next++) {
      const outcome = await signOnce(signing, lane, label, index);
      outcomes[index] = outcome;
      done += 1;
      if (outcome.answer === undefined) {
        failed += 1;
        if (failed <= 5) progress(`${label}: request ${index} failed: ${outcome.error}`);
      }
      if (done % reportEvery === 0 || done === count) progress(`${label}: ${done}/${count} answered (${failed} failed) after ${((Date.now() - startedAt) / 1000).toFixed(1)} s`);
    }
  };
  progress(`${label}: ${count} requests (half ECDSA, half EdDSA), ${workers} in flight`);
  const cpuBefore = sampleDevnetCpu();
  await Promise.all(Array.from({ length: workers }, (_, lane) => worker(lane)));
  const endedAt = Date.now();
  const cpuAfter = sampleDevnetCpu();
  const verified = await verifyAnswers(signing.clients[0]!, outcomes);
  const unverified = verified.filter((outcome) => outcome.answer !== undefined && outcome.record === undefined);
  for (const outcome of unverified.slice(0, 5)) progress(`${label}: an answer did not verify: ${outcome.error}`);
  progress(`${label}: ${verified.length - failed - unverified.length}/${count} answers verified after the run`);
  const cpuMs = cpuBefore === undefined || cpuAfter === undefined ? undefined : cpuBetween(cpuBefore, cpuAfter);
  return { outcomes: verified, wallMs: endedAt - startedAt, startedAt, endedAt, ...(cpuMs === undefined ? {} : { cpuMs }) };
}

const verifiedCount = (result: RunResult): number => result.outcomes.filter((outcome) => outcome.record !== undefined).length;

/** CPU milliseconds per verified signature of a run, per component and in all ('total'); undefined off Linux. */
function cpuPerSignature(result: RunResult): Map<DevnetComponent | 'total', number> | undefined {
  if (result.cpuMs === undefined || verifiedCount(result) === 0) return undefined;
  const perSignature = new Map<DevnetComponent | 'total', number>([...result.cpuMs].map(([component, ms]) => [component, ms / verifiedCount(result)]));
  perSignature.set('total', [...result.cpuMs.values()].reduce((sum, ms) => sum + ms, 0) / verifiedCount(result));
  return perSignature;
}

function describeCpu(result: RunResult): string {
  const perSignature = cpuPerSignature(result);
  if (perSignature === undefined) return 'CPU per signature: not measured (no /proc)';
  return `CPU ms per signature: ${[...perSignature].map(([component, ms]) => `${component} ${ms.toFixed(1)}`).join(', ')}`;
}

/**
 * The machine's speed right now, as the CPU time of one noble `secp256k1.sign` in this process
 * (median of 7 × 25 signs). Shared hosts run at different speeds from hour to hour; throughput and
 * CPU cost divided by this are comparable between runs of different days.
 */
const BASELINE_KEY = secp256k1.utils.randomSecretKey();
const BASELINE_PAYLOAD = sha256(utf8ToBytes('e2e bench baseline payload'));
function baselineSignMs(): number {
  return medianCpuMs(7, () => {
    for (let i = 0; i < 25; i += 1) secp256k1.sign(BASELINE_PAYLOAD, BASELINE_KEY, { prehash: false });
  }) / 25;
}

/** On-chain latency of every verified request: block times of its signer receipts, read after the run. */
async function onChainLatencies(client: SignClient, outcomes: readonly Outcome[]): Promise<{ ms: number[]; blocks: number[] }> {
  const spans = await Promise.all(outcomes.flatMap(({ answer, record }) => (answer === undefined || record === undefined ? [] : [client.onChainSpan(answer)])));
  return { ms: spans.map((span) => span.ms), blocks: spans.map((span) => span.blocks) };
}

/**
 * Sustained throughput: verified answers per second while every lane is busy — from the first answer
 * (until then the pipeline is filling and nothing can come back) to the last submission (after it, lanes
 * fall idle one by one). Each answer starts the lane's next request, so in between exactly `concurrency`
 * requests are in flight. NaN when the run has no such stretch (all its requests sent at once).
 */
function sustainedRate(result: RunResult): number {
  const answered = result.outcomes.flatMap(({ record, answeredAt }) => (record === undefined || answeredAt === undefined ? [] : [answeredAt]));
  const from = Math.min(...answered);
  const to = Math.max(...result.outcomes.map((outcome) => outcome.submittedAt));
  const inWindow = answered.filter((at) => at > from && at <= to).length;
  return to > from && inWindow >= MIN_SUSTAINED_ANSWERS ? (inWindow / (to - from)) * 1000 : Number.NaN;
}

/**
 * The records of one kind of run, over its repeats: latency percentiles over every verified answer of
 * them, throughput as the median of the repeats' rates (left out for a run one request at a time).
 */
async function runRecords(client: SignClient, results: readonly RunResult[], suffix: string, throughput: boolean): Promise<BenchRecord[]> {
  const outcomes = results.flatMap((result) => result.outcomes);
  const clientLatencies = outcomes.flatMap((outcome) => (outcome.record === undefined ? [] : [outcome.record.latency_ms]));
  const onChain = await onChainLatencies(client, outcomes);
  const round = (value: number) => Math.round(value * 10) / 10;
  const at = (samples: readonly number[], p: number) => (samples.length > 0 ? round(percentile(samples, p)) : Number.NaN);
  const latencies: BenchRecord[] = [
    { metric: `e2e.sign_latency_p50_ms${suffix}`, n: NODES, t: THRESHOLD, value: at(onChain.ms, 50), unit: ON_CHAIN_LATENCY_UNIT },
    { metric: `e2e.sign_latency_p99_ms${suffix}`, n: NODES, t: THRESHOLD, value: at(onChain.ms, 99), unit: ON_CHAIN_LATENCY_UNIT },
    { metric: `e2e.sign_latency_p50_blocks${suffix}`, n: NODES, t: THRESHOLD, value: at(onChain.blocks, 50), unit: 'blocks (on chain, as above)' },
    { metric: `e2e.client_latency_p50_ms${suffix}`, n: NODES, t: THRESHOLD, value: at(clientLatencies, 50), unit: CLIENT_LATENCY_UNIT },
    { metric: `e2e.client_latency_p99_ms${suffix}`, n: NODES, t: THRESHOLD, value: at(clientLatencies, 99), unit: CLIENT_LATENCY_UNIT },
  ];
  if (!throughput) return latencies;
  const repeats = results.length > 1 ? ` (median of ${results.length} runs)` : '';
  return [
    ...latencies,
    { metric: `e2e.signs_per_s${suffix}`, n: NODES, t: THRESHOLD, value: round(median(results.map(sustainedRate))), unit: `verified signatures/s (sustained: every lane busy, first answer to last submission)${repeats}` },
    { metric: `e2e.signs_per_s_whole_run${suffix}`, n: NODES, t: THRESHOLD, value: round(median(results.map((result) => (verifiedCount(result) / result.wallMs) * 1000))), unit: `verified signatures/s (wall clock of the whole run, ramp included)${repeats}` },
  ];
}

/** Medians of the nodes' own `request answered` phases (delivery, checks, sign, respond) logged during [from, to]. */
function nodePhases(logDirectory: string, from: number, to: number): string {
  const phases: Record<string, number[]> = {};
  let count = 0;
  for (const file of readdirSync(logDirectory).filter((name) => name.endsWith('.log'))) {
    for (const line of readFileSync(join(logDirectory, file), 'utf8').split('\n')) {
      if (!line.includes('request answered')) continue;
      try {
        const entry = JSON.parse(line) as { timestamp?: string; time?: string | number; latencyMs?: number; phasesMs?: Record<string, number> };
        const at = new Date(entry.timestamp ?? entry.time ?? Number.NaN).getTime();
        if (Number.isFinite(at) && (at < from || at > to + 5_000)) continue;
        count += 1;
        for (const [phase, ms] of Object.entries({ ...(entry.phasesMs ?? {}), total: entry.latencyMs ?? Number.NaN })) {
          if (Number.isFinite(ms)) (phases[phase] ??= []).push(ms);
        }
      } catch {
        // not a JSON log line
      }
    }
  }
  if (count === 0) return 'no "request answered" lines found';
  return `${count} answers, median ms: ${Object.entries(phases)
    .map(([phase, samples]) => `${phase} ${Math.round(median(samples))}`)
    .join(', ')}`;
}

/** How long the idle network is watched for its background CPU use. */
const IDLE_CPU_WINDOW_MS = 5_000;

/** CPU the quiet network uses per second of wall time (% of one core): blocks, polling, pings. NaN off Linux. */
async function idleCpuPercent(progress: (line: string) => void): Promise<number> {
  const before = sampleDevnetCpu();
  const startedAt = Date.now();
  await sleep(IDLE_CPU_WINDOW_MS);
  const after = sampleDevnetCpu();
  if (before === undefined || after === undefined) return Number.NaN;
  const used = cpuBetween(before, after);
  const seconds = (Date.now() - startedAt) / 1000;
  const percent = (ms: number) => ms / 10 / seconds;
  progress(`idle network, CPU % of one core: ${[...used].map(([component, ms]) => `${component} ${percent(ms).toFixed(0)}`).join(', ')}`);
  return percent([...used.values()].reduce((sum, ms) => sum + ms, 0));
}

/**
 * What a sustained signature costs the machine: CPU per signature of the warm runs (median of the
 * repeats), in all and per component; and, run by run against the mean of the baseline signs measured
 * just before and after it, wall time and CPU per signature in baseline signs — comparable between
 * runs at different machine speeds (the host's speed can change within minutes).
 */
function costRecords(sustained: readonly RunResult[], baselines: readonly (readonly [number, number])[], idleCpu: number): BenchRecord[] {
  const perSignature = sustained.map(cpuPerSignature);
  const measured = perSignature.every((entry) => entry !== undefined);
  const cpuOf = (component: DevnetComponent | 'total'): number => (measured ? median(perSignature.map((entry) => entry!.get(component)!)) : Number.NaN);
  const baselineOfRun = baselines.map(([before, after]) => (before + after) / 2);
  const round = (value: number) => Math.round(value * 100) / 100;
  const record = (metric: string, value: number, unit: string): BenchRecord => ({ metric, n: NODES, t: THRESHOLD, value: round(value), unit });
  const runs = `warm runs, median of ${sustained.length}`;
  return [
    record('e2e.cpu_ms_per_sign', cpuOf('total'), `ms CPU of every process of the network per verified signature (${runs})`),
    ...DEVNET_COMPONENTS.map((component) => record(`e2e.cpu_ms_per_sign_${component}`, cpuOf(component), `ms CPU of ${COMPONENT_NAMES[component]} per verified signature (${runs})`)),
    record('e2e.idle_cpu_percent', idleCpu, `% of one core the whole network uses with no requests (stockpile warm, ${IDLE_CPU_WINDOW_MS / 1000} s)`),
    record('e2e.baseline_secp256k1_sign_ms', median(baselines.flat()), 'ms CPU of one noble secp256k1.sign in the launcher, before and after each warm run (median)'),
    record(
      'e2e.sign_cost_vs_baseline',
      median(sustained.map((run, i) => 1000 / sustainedRate(run) / baselineOfRun[i]!)),
      `x (wall ms per sustained signature ÷ the baseline sign around the run; lower is better; ${runs})`,
    ),
    record(
      'e2e.cpu_ms_per_sign_vs_baseline',
      measured ? median(perSignature.map((entry, i) => entry!.get('total')! / baselineOfRun[i]!)) : Number.NaN,
      `x (CPU per signature ÷ the baseline sign around the run; ${runs})`,
    ),
  ];
}

const COMPONENT_NAMES: Readonly<Record<DevnetComponent, string>> = {
  nodes: 'the MPC node processes',
  indexers: 'the lake indexer processes',
  launcher: 'the launcher process (chain, JSON-RPC, Lake writer, S3-event bridge, bench clients)',
  dynamodb: 'DynamoDB Local',
  fauxqs: 'fauxqs (SQS, S3)',
  other: 'other child processes',
};

const STOCKPILE_TARGETS: StockpileTargets = { nodes: NODES, presignaturesPerNode: PRESIGNATURES_PER_NODE, triplesPerNode: TRIPLE_TARGET, tripleBatchSize: TRIPLE_BATCH_SIZE };

async function waitForStockpile(signing: SigningNetwork, progress: (line: string) => void): Promise<boolean> {
  const deadline = Date.now() + STOCKPILE_TIMEOUT_MS;
  const started = Date.now();
  for (let last = '', lastAt = 0; ; ) {
    const levels = await signing.stockpileLevels();
    const line = `stockpile: ${describeStockpile(levels, STOCKPILE_TARGETS)}`;
    if (line !== last && Date.now() - lastAt >= 5_000) {
      progress(`${line} (${((Date.now() - started) / 1000).toFixed(0)} s)`);
      last = line;
      lastAt = Date.now();
    }
    if (stockpileWarm(levels, STOCKPILE_TARGETS)) {
      progress(`${line}: warm`);
      return true;
    }
    if (Date.now() > deadline) {
      progress(`${line}: not warm after ${STOCKPILE_TIMEOUT_MS / 1000} s; running the warm batch anyway`);
      return false;
    }
    await sleep(1_000);
  }
}

export const e2eSigningSuite: BenchSuite = {
  name: 'e2e-signing',
  group: 'e2e',
  async run(progress) {
    // As `npm start`: the in-process lake indexers log through Powertools; keep warnings and errors only.
    process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
    process.env.POWERTOOLS_LOG_LEVEL ??= 'WARN';
    process.env.POWERTOOLS_METRICS_DISABLED ??= 'true';
    const logDirectory = join(mkdtempSync(join(tmpdir(), 'chainsig-e2e-bench-')), 'logs');
    mkdirSync(logDirectory, { recursive: true });
    if (QUICK) progress('E2E_BENCH_QUICK=1: reduced sizes, not for numbers');
    const started = Date.now();
    const clock = () => `[${((Date.now() - started) / 1000).toFixed(0).padStart(4)} s]`;
    const say = (line: string) => progress(`${clock()} ${line}`);

    // No awsEndpoints: startLocalNetwork starts its own DynamoDB Local and fauxqs and stops them on stop().
    const signing = await startSigningNetwork({
      nodes: NODES,
      threshold: THRESHOLD,
      blockTimeMs: BLOCK_TIME_MS,
      logDirectory,
      clientLanes: CONCURRENCY,
      keygenTimeoutMs: KEYGEN_TIMEOUT_MS,
      maxEmulatorLifetimeSeconds: 3600,
      nodeOverrides: {
        PRESIGNATURE_TARGET: String(PRESIGNATURES_PER_NODE),
        TRIPLE_TARGET: String(TRIPLE_TARGET),
        TRIPLE_BATCH_SIZE: String(TRIPLE_BATCH_SIZE),
      },
      onProgress: ({ step, detail }) => say(`${step}: ${detail}`),
    });
    try {
      say(`network up (node logs in ${logDirectory}); ${signing.clients.length} client lanes`);
      const keyedAt = Date.now();
      const cold = await runBatch(signing, 'cold', COLD_REQUESTS, COLD_CONCURRENCY, say);
      say(`cold: node phases: ${nodePhases(logDirectory, cold.startedAt, cold.endedAt)}`);
      const warm = await waitForStockpile(signing, say);
      const warmSeconds = (Date.now() - keyedAt) / 1000;
      const sustained: RunResult[] = [];
      /** Per warm run: the baseline sign before it and after it. */
      const baselines: (readonly [number, number])[] = [];
      for (let repeat = 1; repeat <= WARM_REPEATS; repeat += 1) {
        if (repeat > 1) await waitForStockpile(signing, say);
        const before = baselineSignMs();
        const run = await runBatch(signing, `warm ${repeat}/${WARM_REPEATS}`, WARM_REQUESTS, CONCURRENCY, say);
        baselines.push([before, baselineSignMs()]);
        say(`warm ${repeat}/${WARM_REPEATS}: sustained ${sustainedRate(run).toFixed(1)} signatures/s; ${describeCpu(run)}; baseline sign ${baselines.at(-1)!.map((ms) => ms.toFixed(3)).join(' → ')} ms`);
        say(`warm ${repeat}/${WARM_REPEATS}: node phases: ${nodePhases(logDirectory, run.startedAt, run.endedAt)}`);
        sustained.push(run);
      }
      await waitForStockpile(signing, say);
      const idleCpu = await idleCpuPercent(say);
      const light = await runBatch(signing, 'light', LIGHT_REQUESTS, LIGHT_CONCURRENCY, say);
      say(`light: sustained ${sustainedRate(light).toFixed(1)} signatures/s; node phases: ${nodePhases(logDirectory, light.startedAt, light.endedAt)}`);
      await waitForStockpile(signing, say);
      const idle = await runBatch(signing, 'idle', IDLE_REQUESTS, 1, say);
      say(`idle: node phases: ${nodePhases(logDirectory, idle.startedAt, idle.endedAt)}`);
      const failed = [cold, ...sustained, light, idle].flatMap((run) => run.outcomes).filter((outcome) => outcome.record === undefined).length;
      return [
        ...(await runRecords(signing.clients[0]!, [cold], '_cold', true)),
        ...(await runRecords(signing.clients[0]!, sustained, '', true)),
        ...costRecords(sustained, baselines, idleCpu),
        ...(await runRecords(signing.clients[0]!, [light], '_light', true)),
        ...(await runRecords(signing.clients[0]!, [idle], '_idle', false)),
        { metric: 'e2e.stockpile_warm_s', n: NODES, t: THRESHOLD, value: warm ? Math.round(warmSeconds) : Number.NaN, unit: 's (keys generated → presignatures and triples at target, no run under way; NaN: never)' },
        { metric: 'e2e.failed_requests', n: NODES, t: THRESHOLD, value: failed, unit: `requests of ${COLD_REQUESTS + WARM_REPEATS * WARM_REQUESTS + LIGHT_REQUESTS + IDLE_REQUESTS} (error or unverified; 0 for a valid run)` },
        { metric: 'e2e.block_time_ms', n: NODES, t: THRESHOLD, value: BLOCK_TIME_MS, unit: 'ms (reference: devnet block time)' },
      ];
    } finally {
      say('stopping the network');
      await signing.stop();
    }
  },
};
