/**
 * `npm start`: the one-command local network. Until the node service and devnet chain exist
 * (issues 6–8) it only proves the local AWS emulators start and stop, then says what is missing.
 */
import { startLocalAws } from './emulators/index.js';

async function main(): Promise<number> {
  process.stdout.write('starting local AWS emulators (DynamoDB Local, fauxqs SQS + S3)…\n');
  const localAws = await startLocalAws({ maxLifetimeSeconds: 120 });
  process.stdout.write(
    `  dynamodb ${localAws.endpoints.dynamodb}\n  sqs      ${localAws.endpoints.sqs}\n  s3       ${localAws.endpoints.s3}\n`,
  );
  await localAws.stop();
  process.stderr.write('the local network (chain, indexer, MPC nodes) is not built yet; see docs/status.md\n');
  return 1;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  },
);
