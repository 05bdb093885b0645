// End to end at the scale of today's mainnet network: seven MPC node processes, threshold 5, on the
// devnet with our TypeScript signer. The nodes generate the Secp256k1 and Ed25519 keys by DKG, fill a
// small stockpile, answer direct ECDSA and EdDSA requests (verified under the derived keys with noble
// and Node's crypto), keep answering with one node killed (SIGKILL; which one is seeded), and the other
// six stop gracefully. Along the way it writes what the scale costs to stderr — keygen time per
// domain, on-chain latency, time from the kill to the next answer, CPU per component of the network,
// CPU and RSS per node process (sampled with `ps`) and the machine's load — for docs (issue 21).
import { jest } from '@jest/globals';
import { sha256 } from '@noble/hashes/sha2.js';
import { utf8ToBytes } from '@noble/hashes/utils.js';
import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { verifySignRecord, type SignScheme } from '../../../services/devnet/demo/sign-client.js';
import { describeStockpile, startSigningNetwork, stockpileWarm, type SigningNetwork, type StockpileTargets } from '../../../services/devnet/network/signing-network.js';
import { cpuBetween, sampleDevnetCpu, type CpuSample } from '../../bench/process-cpu.js';
import { median } from '../../bench/records.js';
import { withFaultSeed } from '../../support/faults/seed.js';
import { localAwsFromEnvironment } from '../../support/local-aws.js';
import { quietPowertools } from '../devnet-network/support.js';

/**
 * `SCALE_NODES=8 SCALE_STOCKPILE=production` runs the same scenario at eight nodes with the production
 * stockpile sizes: the measurement docs/cost.md prices mesh egress from (minutes longer; not in CI).
 */
const NODES = Number(process.env.SCALE_NODES ?? 7);
const PRODUCTION_STOCKPILE = process.env.SCALE_STOCKPILE === 'production';
const THRESHOLD = 5;
/** As the other e2e tests: 250 ms blocks leave a loaded 2-core machine 50 s of wall time per 200-block yield. */
const BLOCK_TIME_MS = 250;
/**
 * Per node: two presignatures per domain, from one batch of four triples. Each triple batch at N = 7
 * (sets of five) is the heaviest work the network does; the requests below need no more.
 */
const STOCKPILE_TARGETS: StockpileTargets = PRODUCTION_STOCKPILE
  ? { nodes: NODES, presignaturesPerNode: 16, triplesPerNode: 32, tripleBatchSize: 32 }
  : { nodes: NODES, presignaturesPerNode: 2, triplesPerNode: 4, tripleBatchSize: 4 };
const STOCKPILE_TIMEOUT_MS = (PRODUCTION_STOCKPILE ? 10 : 2) * 60_000;
/** Requests per scheme in each signing round (before and after the kill), all at once. */
const PER_SCHEME = 2;
const LANES = 2 * PER_SCHEME;
const SAMPLE_EVERY_MS = 2_000;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const execFileAsync = promisify(execFile);

jest.setTimeout((PRODUCTION_STOCKPILE ? 12 : 5) * 60_000);

/** One `ps` line of an MPC node process: cumulative CPU seconds and resident memory. */
interface NodeSample {
  readonly at: number;
  readonly pid: number;
  readonly cpuSeconds: number;
  readonly rssKiB: number;
}

/**
 * Samples the MPC node processes (children of this process running services/mpc-node/main.ts) with
 * `ps` every few seconds from before they exist, so that key generation is covered before their pids are known.
 */
function sampleNodeProcesses(): { readonly samples: readonly NodeSample[]; stop(): void } {
  const samples: NodeSample[] = [];
  const sampleOnce = async () => {
    // `ps` exits 1 when no process matches; there is nothing to record then.
    const { stdout } = await execFileAsync('ps', ['-o', 'pid=,rss=,times=,args=', '--ppid', String(process.pid)]).catch(() => ({ stdout: '' }));
    const at = Date.now();
    for (const line of stdout.split('\n')) {
      const match = /^\s*(\d+)\s+(\d+)\s+(\d+)\s+(.*)$/.exec(line);
      if (match === null || !match[4]!.includes('mpc-node/main')) continue;
      samples.push({ at, pid: Number(match[1]), rssKiB: Number(match[2]), cpuSeconds: Number(match[3]) });
    }
  };
  const timer = setInterval(() => void sampleOnce(), SAMPLE_EVERY_MS);
  return { samples, stop: () => clearInterval(timer) };
}

/** Per node of `pids`, over [from, to]: CPU as % of one core (first to last sample inside; `ps` counts whole seconds) and the largest RSS. */
function describeNodeUsage(samples: readonly NodeSample[], pids: readonly number[], from: number, to: number): string {
  return pids
    .map((pid, index) => {
      const inside = samples.filter((sample) => sample.pid === pid && sample.at >= from && sample.at <= to);
      if (inside.length < 2) return `node${index} -`;
      const first = inside[0]!;
      const last = inside.at(-1)!;
      const percent = ((last.cpuSeconds - first.cpuSeconds) / ((last.at - first.at) / 1000)) * 100;
      const rssMiB = Math.max(...inside.map((sample) => sample.rssKiB)) / 1024;
      return `node${index} ${percent.toFixed(0)}% ${rssMiB.toFixed(0)} MiB`;
    })
    .join(', ');
}

/** CPU of each component of the network (./test/bench/process-cpu.ts) between two samples, as % of one core. */
function describeComponentCpu(before: CpuSample | undefined, after: CpuSample | undefined, wallMs: number): string {
  if (before === undefined || after === undefined) return 'no /proc';
  return [...cpuBetween(before, after)].map(([component, ms]) => `${component} ${((ms / wallMs) * 100).toFixed(0)}%`).join(', ');
}

const load = () => `load ${loadavg().map((value) => value.toFixed(2)).join(' ')}`;
const report = (line: string) => process.stderr.write(`seven nodes: ${line} (${load()})\n`);
const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

describe('seven node processes, threshold 5: keys by DKG, both curves signed, one node killed', () => {
  let signing: SigningNetwork;
  let restorePowertools: () => void;
  const logDirectory = mkdtempSync(join(tmpdir(), 'e2e-seven-logs-'));
  let sampler: ReturnType<typeof sampleNodeProcesses>;
  /** When each launcher step (and each new key-generation line) was reported. */
  const progress: { readonly at: number; readonly step: string; readonly detail: string }[] = [];
  let counter = 0;
  /** The node the fault scenario killed. */
  let killed: number | undefined;

  /** A direct request on `lane`, its answer verified under the derived key; resolves with its latencies and when it was answered. */
  const signVerified = async (lane: number, scheme: SignScheme) => {
    const index = counter++;
    const client = signing.clients[lane % signing.clients.length]!;
    const answer =
      scheme === 'Secp256k1'
        ? await client.callSign({ domainId: 0, scheme, path: `eth-${index}`, payload: sha256(utf8ToBytes(`tx ${index}`)) })
        : await client.callSign({ domainId: 1, scheme, path: `sol-${index}`, payload: utf8ToBytes(`solana tx ${index}`) });
    const answeredAt = Date.now();
    const [record, onChain] = await Promise.all([client.record(answer), client.onChainSpan(answer)]);
    verifySignRecord(record);
    return { scheme, answeredAt, onChain, clientMs: answer.latencyMs };
  };
  type Answer = Awaited<ReturnType<typeof signVerified>>;
  /** `PER_SCHEME` requests of each scheme at once, one lane each. */
  const signRound = () => Promise.all(Array.from({ length: LANES }, (_, lane) => signVerified(lane, lane % 2 === 0 ? 'Secp256k1' : 'Ed25519')));
  const bothSchemes = Array.from({ length: LANES }, (_, lane) => (lane % 2 === 0 ? 'Secp256k1' : 'Ed25519')).sort();
  const describeLatencies = (answers: readonly Answer[]) =>
    `median on chain ${median(answers.map((answer) => answer.onChain.blocks))} blocks / ${median(answers.map((answer) => answer.onChain.ms))} ms ` +
    `(max ${Math.max(...answers.map((answer) => answer.onChain.blocks))} blocks), at the client ${Math.round(median(answers.map((answer) => answer.clientMs)))} ms`;
  const nodePids = () => signing.nodes.nodes.map((node) => node!.pid);
  /** Runs `body` and reports the CPU the network's components and each node used meanwhile. */
  const measured = async <T>(phase: string, body: () => Promise<T>): Promise<T> => {
    const from = Date.now();
    const before = sampleDevnetCpu();
    const result = await body();
    report(`${phase}: CPU by component ${describeComponentCpu(before, sampleDevnetCpu(), Date.now() - from)}; per node (CPU, peak RSS) ${describeNodeUsage(sampler.samples, nodePids(), from, Date.now())}`);
    return result;
  };

  beforeAll(async () => {
    restorePowertools = quietPowertools();
    sampler = sampleNodeProcesses();
    signing = await startSigningNetwork({
      nodes: NODES,
      threshold: THRESHOLD,
      blockTimeMs: BLOCK_TIME_MS,
      awsEndpoints: localAwsFromEnvironment(),
      resourcePrefix: `e2e-seven-${randomUUID().slice(0, 8)}`,
      logDirectory,
      clientLanes: LANES,
      keygenTimeoutMs: 3 * 60_000,
      nodeOverrides: {
        PRESIGNATURE_TARGET: String(STOCKPILE_TARGETS.presignaturesPerNode),
        TRIPLE_TARGET: String(STOCKPILE_TARGETS.triplesPerNode),
        TRIPLE_BATCH_SIZE: String(STOCKPILE_TARGETS.tripleBatchSize),
        SIGN_TAKEOVER_MS: '3000',
        LOG_LEVEL: 'info',
      },
      onProgress: ({ step, detail }) => progress.push({ at: Date.now(), step, detail }),
    });
  });

  afterAll(async () => {
    sampler?.stop();
    await signing?.stop();
    restorePowertools?.();
    if (process.env.E2E_KEEP_LOGS === undefined) rmSync(logDirectory, { recursive: true, force: true });
    else process.stderr.write(`node logs kept in ${logDirectory}\n`);
  });

  it('generates both keys by DKG among the seven, every pair of nodes linked on the mesh', async () => {
    expect(signing.network.threshold).toBe(THRESHOLD);
    expect(signing.network.participants).toHaveLength(NODES);
    // Every node reaches its six peers: 42 links.
    const deadline = Date.now() + 30_000;
    while ((await signing.sumMetric('mesh_peers_connected')) !== NODES * (NODES - 1) && Date.now() < deadline) await sleep(500);
    expect(await signing.sumMetric('mesh_peers_connected')).toBe(NODES * (NODES - 1));

    const firstAt = (step: string, matches: (detail: string) => boolean = () => true) => progress.find((entry) => entry.step === step && matches(entry.detail))?.at ?? Number.NaN;
    const networkStarted = progress[0]?.at ?? Number.NaN;
    const nodesStarted = firstAt('nodes');
    const domainsVoted = firstAt('domains');
    const keygenStarted = firstAt('keygen');
    const domainZeroDone = firstAt('keygen', (detail) => detail.includes('keys so far: [0]'));
    const bothDone = firstAt('keygen', (detail) => detail.startsWith('both keys generated'));
    report(
      `chain, emulators' resources and indexers up in ${seconds(nodesStarted - networkStarted)}; node processes started → domain votes sent ${seconds(domainsVoted - nodesStarted)} → voted ${seconds(keygenStarted - domainsVoted)}; ` +
        `keygen domain 0 (Secp256k1) ${seconds(domainZeroDone - keygenStarted)}, domain 1 (Ed25519) ${seconds(bothDone - domainZeroDone)}`,
    );
    report(`start and keygen: per node (CPU, peak RSS) ${describeNodeUsage(sampler.samples, nodePids(), nodesStarted, bothDone + SAMPLE_EVERY_MS)}`);
  });

  it('fills every node\'s stockpile for both domains', async () => {
    const from = Date.now();
    const levels = await measured('stockpile', async () => {
      const deadline = from + STOCKPILE_TIMEOUT_MS;
      let current = await signing.stockpileLevels();
      while (!stockpileWarm(current, STOCKPILE_TARGETS) && Date.now() < deadline) {
        await sleep(1_000);
        current = await signing.stockpileLevels();
      }
      return current;
    });
    // The levels are the failure message when it is not warm.
    expect(stockpileWarm(levels, STOCKPILE_TARGETS) ? 'warm' : describeStockpile(levels, STOCKPILE_TARGETS)).toBe('warm');
    report(`stockpile warm ${seconds(Date.now() - from)} after keygen: ${describeStockpile(levels, STOCKPILE_TARGETS)}`);
    // What the stockpile costs on the wire (docs/cost.md): every frame byte the nodes sent since they
    // started, per triple made (key generation, presign rounds and EdDSA nonce commitments included, a
    // few percent). A signature uses one presignature, made from two triples.
    const sent = await signing.sumMetric('mesh_bytes_sent_total');
    const received = await signing.sumMetric('mesh_bytes_received_total');
    const triples = (await signing.sumMetric('stockpile_runs_succeeded_total', { role: 'owner', kind: 'triples' })) * STOCKPILE_TARGETS.tripleBatchSize;
    expect(triples).toBeGreaterThanOrEqual(NODES * STOCKPILE_TARGETS.triplesPerNode);
    // Resent frames count at the sender only, and a frame in flight at the read is not received yet.
    expect(received).toBeGreaterThan(0);
    expect(received).toBeLessThanOrEqual(sent);
    // What else the bytes paid for: resent requests and runs that failed (their bytes bought nothing).
    const retries = await signing.sumMetric('mesh_request_retries_total');
    const failedRuns = await signing.sumMetric('stockpile_runs_failed_total', { role: 'owner' });
    const failures: string[] = [];
    for (const kind of ['triples', 'ecdsa-presign', 'eddsa-presign'])
      for (const reason of ['timeout', 'abort', 'refused', 'error']) {
        const count = await signing.sumMetric('stockpile_runs_failed_total', { role: 'owner', kind, reason });
        if (count > 0) failures.push(`${kind} ${reason} ${count}`);
      }
    const presignatures = await signing.sumMetric('stockpile_runs_succeeded_total', { role: 'owner', kind: 'ecdsa-presign' });
    report(
      `mesh: ${(sent / 1024).toFixed(0)} KiB sent (${(received / 1024).toFixed(0)} KiB received) by the ${NODES} nodes for ${triples} triples (batches of ${STOCKPILE_TARGETS.tripleBatchSize}) ` +
        `and ${presignatures} ECDSA presignatures: ${(sent / triples / 1024).toFixed(1)} KiB per triple, all ${THRESHOLD} parties together; ` +
        `${retries} requests resent, ${failedRuns} owned runs failed (${failures.join(', ') || 'none'})`,
    );
  });

  it('answers ECDSA and EdDSA requests with signatures verified under the derived keys', async () => {
    const sentBefore = await signing.sumMetric('mesh_bytes_sent_total');
    const answers = await measured('signing, all seven up', signRound);
    expect(answers.map((answer) => answer.scheme).sort()).toEqual(bothSchemes);
    report(`${answers.length} requests, all seven up: ${describeLatencies(answers)}`);
    // Signing rounds and lead notices; the stockpile's refill of what they used may add to it.
    const signingBytes = (await signing.sumMetric('mesh_bytes_sent_total')) - sentBefore;
    report(`mesh while signing: ${(signingBytes / answers.length / 1024).toFixed(1)} KiB sent per request, all nodes together (refill under way included)`);
  });

  it('keeps answering both curves, each request once, with one node killed', async () => {
    await withFaultSeed('seven nodes, one killed', async (random) => {
      killed = Math.floor(random() * NODES);
      const killedAt = Date.now();
      await signing.nodes.killNode(killed);
      expect(await signing.nodeMetrics(killed)).toBeNull();
      // Read once the killed node is gone, so that both counts are over the same six nodes.
      const answeredBefore = await signing.sumMetric('sign_requests_finished_total', { outcome: 'answered' });

      const answers = await measured(`signing, node${killed} killed`, signRound);
      expect(answers.map((answer) => answer.scheme).sort()).toEqual(bothSchemes);
      // The six live nodes answered each request once.
      expect((await signing.sumMetric('sign_requests_finished_total', { outcome: 'answered' })) - answeredBefore).toBe(answers.length);
      const firstAnswer = Math.min(...answers.map((answer) => answer.answeredAt));
      const lastAnswer = Math.max(...answers.map((answer) => answer.answeredAt));
      report(`node${killed} killed: first answer ${seconds(firstAnswer - killedAt)} after the kill, all ${answers.length} after ${seconds(lastAnswer - killedAt)}; ${describeLatencies(answers)}`);
    });
  });

  it('stops the six live nodes gracefully (exit code 0)', async () => {
    const live = Array.from({ length: NODES }, (_, index) => index).filter((index) => index !== killed);
    expect(live).toHaveLength(NODES - 1);
    const codes = await Promise.all(live.map((index) => signing.nodes.stopNode(index)));
    expect(codes).toEqual(live.map(() => 0));
  });
});
