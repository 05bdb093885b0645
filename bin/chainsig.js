#!/usr/bin/env node
// `npx chainsig …`: the TypeScript sources run through tsx, so there is no build step after `npm ci`.
import { tsImport } from 'tsx/esm/api';

const { main } = await tsImport('../services/cli/chainsig.ts', import.meta.url);
const code = await main(process.argv.slice(2));
process.exitCode = code;
// A `sign` given up on (--timeout-seconds) leaves its RPC request open, and the client cannot cancel it:
// exit once what was written is flushed instead of waiting for that request.
let unflushed = 2;
const flushed = () => {
  unflushed -= 1;
  if (unflushed === 0) process.exit(code);
};
process.stdout.write('', flushed);
process.stderr.write('', flushed);
