/**
 * `npm run bench [-- --only <group>] [-- --json FILE]`: runs the benchmark suites, prints a table and
 * optionally writes the records as a JSON array. Suites register in `suites.ts`.
 */
import { writeFileSync } from 'node:fs';
import { BENCH_SUITES } from './suites.js';
import type { BenchRecord } from './records.js';

interface BenchArgs {
  readonly only?: string;
  readonly jsonFile?: string;
}

function parseArgs(argv: readonly string[]): BenchArgs {
  let only: string | undefined;
  let jsonFile: string | undefined;
  for (let i = 0; i < argv.length; i += 1) {
    const flag = argv[i];
    const value = argv[i + 1];
    if ((flag === '--only' || flag === '--json') && (value === undefined || value.startsWith('--'))) {
      throw new Error(`${flag} needs a value`);
    }
    if (flag === '--only') only = value;
    else if (flag === '--json') jsonFile = value;
    else throw new Error(`unknown argument ${flag}; usage: bench [--only <group>] [--json FILE]`);
    i += 1;
  }
  return { only, jsonFile };
}

function formatTable(records: readonly BenchRecord[]): string {
  const rows = records.map((r) => [r.metric, String(r.n), String(r.t), Number.isInteger(r.value) ? String(r.value) : r.value.toPrecision(4), r.unit]);
  const header = ['metric', 'n', 't', 'value', 'unit'];
  const widths = header.map((h, column) => Math.max(h.length, ...rows.map((row) => row[column]!.length)));
  const line = (cells: readonly string[]): string => cells.map((cell, column) => cell.padEnd(widths[column]!)).join('  ');
  return [line(header), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n');
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  const suites = BENCH_SUITES.filter((suite) => args.only === undefined || suite.group === args.only);
  if (suites.length === 0) throw new Error(`no benchmark suites in group "${args.only}"`);
  const records: BenchRecord[] = [];
  for (const suite of suites) {
    const started = Date.now();
    process.stderr.write(`▶ ${suite.name}\n`);
    records.push(...(await suite.run((line) => process.stderr.write(`  ${line}\n`))));
    process.stderr.write(`  done in ${((Date.now() - started) / 1000).toFixed(1)} s\n`);
  }
  process.stdout.write(`${formatTable(records)}\n`);
  if (args.jsonFile !== undefined) {
    writeFileSync(args.jsonFile, `${JSON.stringify(records, null, 2)}\n`);
    process.stderr.write(`wrote ${records.length} records to ${args.jsonFile}\n`);
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`bench: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
