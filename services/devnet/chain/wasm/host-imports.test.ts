/**
 * The host function surface: every `env` import of near/mpc's published signers is implemented or
 * named as unsupported, and the chain README's table lists exactly what host-imports.ts provides.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { HOST_MODULE, IMPLEMENTED_HOST_FUNCTIONS, UNSUPPORTED_HOST_FUNCTIONS } from './host-imports.js';

const FIXTURES = fileURLToPath(new URL('../../../../../shared/fixtures/near-mpc/', import.meta.url));
const README = fileURLToPath(new URL('../README.md', import.meta.url));
/** Row names starting with `_` continue `promise_batch_action` (the README abbreviates them). */
const BATCH_ACTION_PREFIX = 'promise_batch_action';

/** host function name → status, from the README's host function table. */
function readmeTable(): Map<string, string> {
  const section = readFileSync(README, 'utf8').split('### Host functions')[1]!.split('\n### ')[0]!;
  const table = new Map<string, string>();
  for (const line of section.split('\n')) {
    const cells = line.split('|').map((cell) => cell.trim());
    const status = cells[2];
    if (cells.length < 4 || (status !== 'exact' && status !== 'approximate' && status !== 'unsupported')) continue;
    for (const [, name] of cells[1]!.matchAll(/`([a-z0-9_]+)`/g)) table.set(name!.startsWith('_') ? `${BATCH_ACTION_PREFIX}${name}` : name!, status);
  }
  return table;
}

describe('NEAR host functions provided to wasm', () => {
  it.each(['signer-3_14_0.wasm', 'signer-3_14_1.wasm'])('covers every import of %s', (file) => {
    const imports = WebAssembly.Module.imports(new WebAssembly.Module(new Uint8Array(readFileSync(`${FIXTURES}${file}`))));
    expect(imports.length).toBeGreaterThanOrEqual(48);
    const missing = imports.filter(({ module, name }) => module !== HOST_MODULE || !(IMPLEMENTED_HOST_FUNCTIONS.includes(name) || name in UNSUPPORTED_HOST_FUNCTIONS));
    expect(missing).toEqual([]);
  });

  it('are listed in the chain README exactly: implemented ones as exact or approximate, the rest as unsupported', () => {
    const table = readmeTable();
    const documented = [...table.keys()].sort();
    expect(documented).toEqual([...IMPLEMENTED_HOST_FUNCTIONS, ...Object.keys(UNSUPPORTED_HOST_FUNCTIONS)].sort());
    for (const name of IMPLEMENTED_HOST_FUNCTIONS) expect([name, table.get(name)]).toEqual([name, expect.stringMatching(/^(exact|approximate)$/)]);
    for (const name of Object.keys(UNSUPPORTED_HOST_FUNCTIONS)) expect([name, table.get(name)]).toEqual([name, 'unsupported']);
  });
});
