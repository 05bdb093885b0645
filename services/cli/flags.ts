import { UsageError } from './usage-error.js';

/**
 * Reads `--flag value` pairs (each of `valueFlags` at most once) and the bare `--json` switch of one
 * subcommand; anything else is a {@link UsageError} naming the subcommand.
 */
export function readCommandFlags<Flag extends string>(command: string, args: readonly string[], valueFlags: readonly Flag[]): { values: Map<Flag, string>; json: boolean } {
  const values = new Map<Flag, string>();
  let json = false;
  for (let i = 0; i < args.length; i += 1) {
    const flag = args[i]!;
    if (flag === '--json') {
      json = true;
      continue;
    }
    if (!(valueFlags as readonly string[]).includes(flag)) throw new UsageError(`${command}: unknown argument "${flag}"`);
    const value = args[i + 1];
    // A path may start with '-', but never with '--': that is the next flag with this value missing.
    if (value === undefined || value.startsWith('--')) throw new UsageError(`${command}: ${flag} needs a value`);
    if (values.has(flag as Flag)) throw new UsageError(`${command}: ${flag} given twice`);
    values.set(flag as Flag, value);
    i += 1;
  }
  return { values, json };
}
