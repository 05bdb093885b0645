/**
 * `npm start`: the one-command local network, signing real requests end to end. It starts the local AWS
 * emulators, the devnet chain with the MPC signer, FastAuth and JWT guard contracts, the Lake writer, the
 * S3-event fan-out and one lake indexer per operator, and N MPC node processes; the nodes generate the
 * domain 0 (secp256k1) and domain 1 (Ed25519) keys by DKG through the contract and fill their stockpiles;
 * then demo requests — direct ECDSA and EdDSA signs and FastAuth signs with a JWT from the local issuer —
 * are sent through a real @near-js client, and every answer is verified independently and printed.
 *
 *   npm start [-- --nodes N] [--threshold T] [--block-time-ms MS] [--requests K] [--json FILE] [--keep-running] [--data-dir DIR] [--signer-wasm FILE]
 *
 * `--signer-wasm FILE` runs that NEAR wasm as the MPC signer (e.g. near/mpc's published 3.14 signer)
 * instead of our TypeScript model of it; everything else is the same.
 *
 * Exit code 0 only if every request was answered with a signature that verifies under its derived key.
 */
import { sha256 } from '@noble/hashes/sha2.js';
import { utf8ToBytes } from '@noble/hashes/utils.js';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { verifySignRecord, type SignAnswer, type SignRecord } from './demo/sign-client.js';
import { defaultLogDirectory, describeStockpile, startSigningNetwork, stockpileWarm, type SigningNetwork, type StockpileTargets } from './network/signing-network.js';

interface StartArgs {
  readonly nodes: number;
  readonly threshold: number | undefined;
  readonly blockTimeMs: number;
  readonly requests: number;
  readonly json: string | undefined;
  readonly keepRunning: boolean;
  readonly dataDir: string | undefined;
  readonly signerWasm: string | undefined;
}

const USAGE = 'usage: npm start [-- --nodes N] [--threshold T] [--block-time-ms MS] [--requests K] [--json FILE] [--keep-running] [--data-dir DIR] [--signer-wasm FILE]';
/** Every wasm module starts with `\0asm`. */
const WASM_MAGIC = [0x00, 0x61, 0x73, 0x6d];
const NUMBER_FLAGS = ['--nodes', '--threshold', '--block-time-ms', '--requests'] as const;
const DEMO_SUB = 'google-oauth2|demo-user';
/** Presignatures per node before demo requests go out; the stockpile keeps filling while they run. */
/**
 * The nodes' stockpile for `npm start`: smaller than a production node's (64 presignatures per domain,
 * 128 triples, batches of 32), so that it is full, and generation quiet, seconds after key generation:
 * the demo requests then find the network as it signs when idle, not busy filling its stock.
 */
const DEMO_STOCKPILE = { presignaturesPerNode: 16, triplesPerNode: 32, tripleBatchSize: 16 } as const;
const CONCURRENT_REQUESTS = 16;

export function parseStartArgs(argv: readonly string[]): StartArgs {
  const numbers = new Map<string, number>();
  let json: string | undefined;
  let dataDir: string | undefined;
  let signerWasm: string | undefined;
  let keepRunning = false;
  for (let i = 0; i < argv.length; i += 1) {
    const flag = argv[i]!;
    if (flag === '--keep-running') {
      keepRunning = true;
      continue;
    }
    const raw = argv[i + 1];
    if (raw === undefined || raw.startsWith('--')) throw new Error(`${flag} needs a value\n${USAGE}`);
    i += 1;
    if (flag === '--json') json = raw;
    else if (flag === '--data-dir') dataDir = raw;
    else if (flag === '--signer-wasm') signerWasm = raw;
    else if ((NUMBER_FLAGS as readonly string[]).includes(flag)) {
      const value = Number(raw);
      if (!Number.isInteger(value) || value <= 0) throw new Error(`${flag} needs a positive whole number, got "${raw}"\n${USAGE}`);
      numbers.set(flag, value);
    } else throw new Error(`unknown argument ${flag}\n${USAGE}`);
  }
  return {
    nodes: numbers.get('--nodes') ?? 3,
    threshold: numbers.get('--threshold'),
    blockTimeMs: numbers.get('--block-time-ms') ?? 100,
    requests: numbers.get('--requests') ?? 4,
    json,
    keepRunning,
    dataDir,
    signerWasm,
  };
}

/** The signer wasm named by `--signer-wasm`, checked to be a wasm module before anything starts. */
function readSignerWasm(path: string): Uint8Array {
  let bytes: Uint8Array;
  try {
    bytes = new Uint8Array(readFileSync(path));
  } catch (error) {
    throw new Error(`--signer-wasm: cannot read ${path} (${error instanceof Error ? error.message : String(error)})`);
  }
  if (!WASM_MAGIC.every((byte, index) => bytes[index] === byte)) throw new Error(`--signer-wasm: ${path} is not a wasm module (it does not start with \\0asm)`);
  return bytes;
}

type DemoKind = 'ecdsa' | 'eddsa' | 'fastauth-ecdsa' | 'fastauth-eddsa';
const DEMO_KINDS: readonly DemoKind[] = ['ecdsa', 'eddsa', 'fastauth-ecdsa', 'fastauth-eddsa'];

interface DemoOutcome {
  readonly kind: DemoKind;
  readonly record?: SignRecord;
  /** From the block of the `sign` receipt to the block of the resumed callback that returned the signature. */
  readonly onChain?: { readonly blocks: number; readonly ms: number };
  readonly verified: boolean;
  readonly error?: string;
}

async function runDemoRequest(signing: SigningNetwork, index: number): Promise<DemoOutcome> {
  const kind = DEMO_KINDS[index % DEMO_KINDS.length]!;
  const client = signing.clients[index % signing.clients.length]!;
  const { network } = signing;
  try {
    let answer: SignAnswer;
    if (kind === 'ecdsa') answer = await client.callSign({ domainId: 0, scheme: 'Secp256k1', path: `ethereum-${index}`, payload: sha256(utf8ToBytes(`demo transfer #${index}`)) });
    else if (kind === 'eddsa') answer = await client.callSign({ domainId: 1, scheme: 'Ed25519', path: `solana-${index}`, payload: utf8ToBytes(`demo solana transaction #${index}`) });
    else {
      const signPayload = utf8ToBytes(`borsh(SignedDelegate #${index})`);
      const token = await network.mintJwt({ sub: DEMO_SUB, signPayload });
      const algorithm = kind === 'fastauth-ecdsa' ? 'ecdsa' : 'eddsa';
      answer = await client.callFastAuthSign({ fastAuthContractId: network.contracts.fastAuth, guardId: network.fastAuthGuardId, token, sub: DEMO_SUB, signPayload, algorithm, domainId: algorithm === 'ecdsa' ? 0 : 1 });
    }
    const [record, onChain] = await Promise.all([client.record(answer), client.onChainSpan(answer)]);
    verifySignRecord(record);
    return { kind, record, onChain, verified: true };
  } catch (error) {
    return { kind, verified: false, error: error instanceof Error ? error.message : String(error) };
  }
}

/** Runs `count` requests, at most `concurrency` at once, in order of index. */
async function runDemoRequests(signing: SigningNetwork, count: number, onDone: (outcome: DemoOutcome, done: number) => void): Promise<DemoOutcome[]> {
  const outcomes: DemoOutcome[] = new Array(count);
  let next = 0;
  let done = 0;
  const worker = async () => {
    for (let index = next++; index < count; index = next++) {
      outcomes[index] = await runDemoRequest(signing, index);
      done += 1;
      onDone(outcomes[index]!, done);
    }
  };
  await Promise.all(Array.from({ length: Math.min(count, signing.clients.length) }, worker));
  return outcomes;
}

const short = (text: string, keep = 10) => (text.length <= 2 * keep + 1 ? text : `${text.slice(0, keep)}…${text.slice(-keep)}`);

function signatureText(record: SignRecord): string {
  const response = record.response as { big_r?: { affine_point: string }; s?: { scalar: string }; signature?: number[] };
  if (response.signature !== undefined) return Buffer.from(response.signature).toString('hex');
  return `${response.big_r?.affine_point ?? ''}${response.s?.scalar ?? ''}`;
}

function table(outcomes: readonly DemoOutcome[]): string {
  const header = ['#', 'request', 'domain', 'predecessor / path', 'derived public key', 'signature', 'on chain', 'client', 'verified'];
  const rows = outcomes.map((outcome, index) => {
    const record = outcome.record;
    if (record === undefined) return [String(index), outcome.kind, '', '', '', short(outcome.error ?? '', 30), '', '', 'NO'];
    return [
      String(index),
      outcome.kind,
      String(record.domain_id),
      short(`${record.predecessor} / ${record.path}`, 18),
      short(record.derived_public_key, 14),
      short(signatureText(record), 10),
      outcome.onChain === undefined ? '' : `${outcome.onChain.blocks} blocks`,
      `${Math.round(record.latency_ms)} ms`,
      outcome.verified ? 'yes' : 'NO',
    ];
  });
  const widths = header.map((title, column) => Math.max(title.length, ...rows.map((row) => row[column]!.length)));
  const line = (cells: readonly string[]) => `  ${cells.map((cell, column) => cell.padEnd(widths[column]!)).join('  ')}`;
  return [line(header), line(widths.map((width) => '-'.repeat(width))), ...rows.map(line)].join('\n');
}

async function main(): Promise<number> {
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  // The in-process lake indexers log through Powertools: keep their warnings and errors, not every shard.
  process.env.POWERTOOLS_LOG_LEVEL ??= 'WARN';
  process.env.POWERTOOLS_METRICS_DISABLED ??= 'true';
  const args = parseStartArgs(process.argv.slice(2));
  const signerWasm = args.signerWasm === undefined ? undefined : readSignerWasm(args.signerWasm);
  const started = Date.now();
  const clock = () => `[${((Date.now() - started) / 1000).toFixed(1).padStart(5)} s]`;
  const say = (text: string) => process.stdout.write(`${clock()} ${text}\n`);
  const temporary = args.dataDir === undefined ? mkdtempSync(join(tmpdir(), 'chainsig-start-')) : undefined;
  const logDirectory = defaultLogDirectory(args.dataDir ?? temporary!);
  mkdirSync(logDirectory, { recursive: true });

  const signing = await startSigningNetwork({
    nodes: args.nodes,
    ...(args.threshold !== undefined ? { threshold: args.threshold } : {}),
    blockTimeMs: args.blockTimeMs,
    ...(args.dataDir !== undefined ? { dataDir: resolve(args.dataDir) } : {}),
    maxEmulatorLifetimeSeconds: args.keepRunning ? 24 * 3600 : 1800,
    ...(signerWasm !== undefined ? { signerWasm } : {}),
    logDirectory,
    clientLanes: Math.min(CONCURRENT_REQUESTS, args.requests),
    nodeOverrides: {
      PRESIGNATURE_TARGET: String(DEMO_STOCKPILE.presignaturesPerNode),
      TRIPLE_TARGET: String(DEMO_STOCKPILE.triplesPerNode),
      TRIPLE_BATCH_SIZE: String(DEMO_STOCKPILE.tripleBatchSize),
    },
    onProgress: ({ step, detail }) => say(`${step}: ${detail}`),
  });
  let stopping: Promise<void> | undefined;
  const stop = (): Promise<void> => (stopping ??= signing.stop().finally(() => temporary !== undefined && rmSync(temporary, { recursive: true, force: true })));
  process.once('SIGINT', () => void stop().then(() => process.exit(130)));
  try {
    const { network } = signing;
    say(`network up: RPC ${network.rpcUrl}, signer ${network.contracts.mpcSigner} version ${network.signerVersion} (threshold ${network.threshold} of ${network.participants.length}), FastAuth ${network.contracts.fastAuth}`);
    const targets: StockpileTargets = { nodes: network.participants.length, ...DEMO_STOCKPILE };
    for (let last = ''; ; ) {
      const levels = await signing.stockpileLevels();
      const line = describeStockpile(levels, targets);
      if (line !== last) say(`stockpile: ${line}`);
      last = line;
      if (stockpileWarm(levels, targets)) break;
      await new Promise((resolveSleep) => setTimeout(resolveSleep, 500));
    }
    say(`sending ${args.requests} demo requests (${DEMO_KINDS.join(', ')}), up to ${signing.clients.length} at once`);
    const outcomes = await runDemoRequests(signing, args.requests, (outcome, done) => {
      if (args.requests > 8 && done % Math.ceil(args.requests / 10) !== 0 && done !== args.requests) return;
      say(`  ${done}/${args.requests} answered${outcome.verified ? '' : ` (request failed: ${outcome.error})`}`);
    });
    process.stdout.write(`\n${table(outcomes)}\n\n`);
    const failed = outcomes.filter((outcome) => !outcome.verified);
    if (args.json !== undefined) {
      writeFileSync(args.json, `${JSON.stringify(outcomes.flatMap((outcome) => (outcome.record === undefined ? [] : [outcome.record])), null, 2)}\n`);
      say(`wrote ${outcomes.length - failed.length} records to ${args.json}`);
    }
    const middle = <T>(sorted: readonly T[]): T => sorted[Math.floor(sorted.length / 2)]!;
    const spans = outcomes.flatMap((outcome) => (outcome.onChain === undefined ? [] : [outcome.onChain])).sort((a, b) => a.ms - b.ms);
    if (spans.length > 0) {
      say(`latency on chain (sign receipt to the callback returning the signature): median ${middle(spans).blocks} blocks (${middle(spans).ms} ms), max ${spans.at(-1)!.blocks} blocks`);
    }
    const latencies = outcomes.flatMap((outcome) => (outcome.record === undefined ? [] : [outcome.record.latency_ms])).sort((a, b) => a - b);
    if (latencies.length > 0) say(`latency at the client (sign call to result): median ${Math.round(middle(latencies))} ms, max ${Math.round(latencies.at(-1)!)} ms`);
    say(failed.length === 0 ? `all ${outcomes.length} signatures verified` : `${failed.length} of ${outcomes.length} requests failed`);
    if (args.keepRunning) {
      process.stdout.write(
        [
          '',
          'The network keeps running (Ctrl-C stops it). Sign with:',
          `  npx chainsig sign --rpc ${network.rpcUrl} --contract ${network.contracts.mpcSigner} --account ${network.demoUser.accountId} --secret-key ${network.demoUser.keyPair.toString()} --domain 0 --path my-path --payload <64 hex chars>`,
          `  npx chainsig sign … --domain 1 --payload <hex message>   (Ed25519)`,
          `Node logs: ${logDirectory}`,
          '',
        ].join('\n'),
      );
      await new Promise(() => undefined);
    }
    return failed.length === 0 ? 0 : 1;
  } finally {
    await stop();
  }
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  },
);
