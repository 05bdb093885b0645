#!/usr/bin/env node
// `npx chainsig …`: the TypeScript sources run through tsx, so there is no build step after `npm ci`.
import { tsImport } from 'tsx/esm/api';

const { main } = await tsImport('../services/cli/chainsig.ts', import.meta.url);
process.exitCode = await main(process.argv.slice(2));
