import { cpSync, mkdirSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CURVE_BACKENDS, describeCurveBackends, NativeBackendUnavailable } from './index.js';
import { loadLibsecp256k1 } from './libsecp256k1.js';
import { loadLibsodium } from './libsodium.js';

const require = createRequire(import.meta.url);
/** The installed package's directory (not every package exports its package.json). */
function installedDir(name: string): string {
  const entry = require.resolve(name);
  const marker = join('node_modules', name);
  return entry.slice(0, entry.lastIndexOf(marker) + marker.length);
}
const scratch = mkdtempSync(join(tmpdir(), 'native-backend-test-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

/**
 * A copy of an installed package with its JavaScript but none of its binaries (no build/, no
 * prebuilds/), its dependencies linked to the installed ones: what a deployment that lost the
 * binaries, or one for a platform with no prebuild, looks like.
 */
function packageWithoutBinaries(name: string, entries: readonly string[], dependencies: readonly string[]): string {
  const root = join(scratch, name, 'node_modules');
  const packageDir = join(root, name);
  mkdirSync(packageDir, { recursive: true });
  for (const entry of entries) cpSync(join(installedDir(name), entry), join(packageDir, entry), { recursive: true });
  for (const dependency of dependencies) symlinkSync(installedDir(dependency), join(root, dependency), 'dir');
  return packageDir;
}

describe('native curve backends, loaded fail-closed', () => {
  it('run on the native binaries of the pinned packages', () => {
    expect(CURVE_BACKENDS).toEqual([
      expect.objectContaining({ curve: 'secp256k1', library: 'libsecp256k1', package: 'secp256k1@5.0.1', binary: expect.stringMatching(/\.node$/) }),
      expect.objectContaining({ curve: 'ed25519', library: 'libsodium', package: 'sodium-native@5.1.0' }),
    ]);
    expect(describeCurveBackends()).toEqual([expect.stringMatching(/^secp256k1: libsecp256k1 \(secp256k1@5\.0\.1, .*\.node\)$/), 'ed25519: libsodium (sodium-native@5.1.0)']);
  });

  it('libsecp256k1: a package without its binary is an error, never the JavaScript fallback its own entry point takes', () => {
    const packageDir = packageWithoutBinaries('secp256k1', ['package.json', 'index.js', 'bindings.js', 'elliptic.js', 'lib'], ['node-gyp-build', 'elliptic']);
    // The package's entry point quietly falls back to elliptic (pure JavaScript) here…
    expect(typeof (require(packageDir) as { publicKeyCreate: unknown }).publicKeyCreate).toBe('function');
    // …which is why the loader resolves the addon binary itself and refuses to start without it.
    expect(() => loadLibsecp256k1(packageDir)).toThrow(NativeBackendUnavailable);
    expect(() => loadLibsecp256k1(packageDir)).toThrow(/libsecp256k1 could not be loaded from the npm package secp256k1 at .*No native build was found/);
  });

  it('libsodium: a package without its binary is an error', () => {
    const packageDir = packageWithoutBinaries('sodium-native', ['package.json', 'index.js', 'binding.js'], ['require-addon', 'which-runtime']);
    expect(() => loadLibsodium(packageDir)).toThrow(NativeBackendUnavailable);
    expect(() => loadLibsodium(packageDir)).toThrow(/libsodium could not be loaded from the npm package sodium-native at .*Cannot find addon/);
  });
});
