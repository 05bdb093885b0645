#!/usr/bin/env node
/**
 * The npm registry these machines reach serves only the Linux builds of some native packages
 * (@swc/core-*, @unrs/resolver-binding-*): the darwin/win32/… builds answer 404. npm then leaves
 * those optional dependencies out of package-lock.json, and `npm ci` refuses the lock as
 * "Missing: … from lock file". This script records each missing optional dependency in the lock
 * with the os/cpu its name encodes, so `npm ci` sees a complete lock and skips them as foreign
 * platforms without fetching. Run it after any `npm install` that changes the lock
 * (see docs/decisions/0002-lockfile-foreign-platforms.md).
 */
import { readFileSync, writeFileSync } from 'node:fs';

const LOCK = new URL('../package-lock.json', import.meta.url);
const OS_NAMES = ['darwin', 'win32', 'linux', 'freebsd', 'android', 'openharmony', 'sunos', 'aix', 'netbsd', 'openbsd'];
const CPU_NAMES = ['arm64', 'x64', 'ia32', 'arm', 'ppc64', 's390x', 'riscv64', 'loong64', 'wasm32', 'mips64el'];

function platformOf(name) {
  const parts = name.split('/').pop().split('-');
  const os = parts.find((part) => OS_NAMES.includes(part));
  const cpu = parts.find((part) => CPU_NAMES.includes(part));
  if (cpu === 'wasm32') return { cpu: ['wasm32'] };
  if (os === undefined || cpu === undefined) return undefined;
  return { os: [os], cpu: [cpu] };
}

const lock = JSON.parse(readFileSync(LOCK, 'utf8'));
let added = 0;
for (const [path, entry] of Object.entries(lock.packages)) {
  for (const [name, version] of Object.entries(entry.optionalDependencies ?? {})) {
    const key = `${path === '' ? '' : `${path}/`}node_modules/${name}`;
    const hoisted = `node_modules/${name}`;
    if (lock.packages[key] !== undefined || lock.packages[hoisted] !== undefined) continue;
    const platform = platformOf(name);
    if (platform === undefined) {
      console.error(`cannot tell the platform of ${name}; leaving it out`);
      continue;
    }
    lock.packages[hoisted] = { version, ...(entry.dev ? { dev: true } : {}), optional: true, ...platform };
    added += 1;
  }
}
const sorted = Object.fromEntries(Object.entries(lock.packages).sort(([a], [b]) => (a === '' ? -1 : b === '' ? 1 : a.localeCompare(b))));
lock.packages = sorted;
writeFileSync(LOCK, `${JSON.stringify(lock, null, 2)}\n`);
console.log(`recorded ${added} foreign-platform optional dependencies in package-lock.json`);
