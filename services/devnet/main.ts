/**
 * `npm start [-- --nodes N] [-- --threshold T] [-- --block-time-ms MS]`: the one-command local network.
 * Today it brings up everything but the signing nodes — local AWS emulators, the devnet chain with the
 * MPC signer, FastAuth and JWT guard contracts, the Lake writer, the S3-event bridge and one lake
 * indexer per operator — prints what runs where, stops it all and exits non-zero, because the MPC node
 * service that answers requests is not built yet (README, Status).
 */
import { startLocalNetwork, type LocalNetwork } from './network/index.js';

interface StartArgs {
  readonly nodes: number;
  readonly threshold?: number;
  readonly blockTimeMs: number;
}

const USAGE = 'usage: npm start [-- --nodes N] [-- --threshold T] [-- --block-time-ms MS]';

function parseArgs(argv: readonly string[]): StartArgs {
  const values = new Map<string, number>();
  for (let i = 0; i < argv.length; i += 2) {
    const flag = argv[i]!;
    const raw = argv[i + 1];
    if (!['--nodes', '--threshold', '--block-time-ms'].includes(flag)) throw new Error(`unknown argument ${flag}\n${USAGE}`);
    const value = Number(raw);
    if (raw === undefined || !Number.isInteger(value) || value <= 0) throw new Error(`${flag} needs a positive whole number\n${USAGE}`);
    values.set(flag, value);
  }
  return { nodes: values.get('--nodes') ?? 3, threshold: values.get('--threshold'), blockTimeMs: values.get('--block-time-ms') ?? 100 };
}

function describe(network: LocalNetwork): string {
  const lines = [
    `NEAR RPC          ${network.rpcUrl}`,
    `MPC signer        ${network.contracts.mpcSigner} (threshold ${network.threshold} of ${network.participants.length})`,
    `FastAuth          ${network.contracts.fastAuth} (guard id ${network.fastAuthGuardId})`,
    `DynamoDB Local    ${network.awsEndpoints.dynamodb}`,
    `SQS + S3 (fauxqs) ${network.awsEndpoints.sqs}`,
    ...network.participants.map((p) => `participant ${p.index}     ${p.accountId} mesh ${p.info.url} sign requests ${network.resources.operators[p.index]!.signRequestsQueue}`),
  ];
  return lines.map((line) => `  ${line}`).join('\n');
}

async function main(): Promise<number> {
  // The pinned AWS SDK runs on Node 20 (verified); its notice about 2027 releases is noise here.
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  const args = parseArgs(process.argv.slice(2));
  const started = Date.now();
  const network = await startLocalNetwork({
    nodes: args.nodes,
    threshold: args.threshold,
    blockTimeMs: args.blockTimeMs,
    maxEmulatorLifetimeSeconds: 600,
    onProgress: ({ step, detail }) => process.stdout.write(`[${((Date.now() - started) / 1000).toFixed(1)} s] ${step}: ${detail}\n`),
  });
  let stopping: Promise<void> | undefined;
  const stop = (): Promise<void> => (stopping ??= network.stop());
  process.once('SIGINT', () => void stop().then(() => process.exit(130)));
  try {
    process.stdout.write(`\nlocal network up in ${((Date.now() - started) / 1000).toFixed(1)} s:\n${describe(network)}\n\n`);
    process.stderr.write('the MPC node service that answers sign requests is not built yet (see the Status table in README.md); stopping.\n');
    return 1;
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
