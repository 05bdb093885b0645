import { UsageError } from './usage-error.js';

/**
 * Reads `--flag value` pairs (each of `valueFlags` at most once), the bare `--json` switch every
 * subcommand takes, and the subcommand's own bare `switches` (e.g. `--submit`); anything else is a
 * {@link UsageError} naming the subcommand.
 */
export function readCommandFlags<Flag extends string, Switch extends string = never>(
  command: string,
  args: readonly string[],
  valueFlags: readonly Flag[],
  switches: readonly Switch[] = [],
): { values: Map<Flag, string>; json: boolean; switches: Set<Switch> } {
  const values = new Map<Flag, string>();
  const given = new Set<Switch>();
  let json = false;
  for (let i = 0; i < args.length; i += 1) {
    const flag = args[i]!;
    if (flag === '--json') {
      json = true;
      continue;
    }
    if ((switches as readonly string[]).includes(flag)) {
      given.add(flag as Switch);
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
  return { values, json, switches: given };
}

/** Refuses a command line that lacks any of `flags`. */
export function requireFlags<Flag extends string>(command: string, values: ReadonlyMap<Flag, string>, flags: readonly Flag[]): void {
  for (const flag of flags) if (!values.has(flag)) throw new UsageError(`${command}: ${flag} is required`);
}
