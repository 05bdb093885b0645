/**
 * What the two native crypto backends have in common: a typed error when one cannot be loaded, and a
 * description of what was loaded, for the node's start-up log. Both are loaded fail-closed: there is
 * no JavaScript fallback, so a deployment without working binaries stops at start instead of running
 * secret arithmetic in code that is neither constant-time nor fast (decision 0006).
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

/** A native library the curve arithmetic needs could not be loaded; nothing falls back to JavaScript. */
export class NativeBackendUnavailable extends Error {
  constructor(
    readonly library: string,
    readonly packageName: string,
    readonly packageDir: string | undefined,
    options: { cause: unknown },
  ) {
    const reason = options.cause instanceof Error ? options.cause.message : String(options.cause);
    super(`${library} could not be loaded from the npm package ${packageName}${packageDir === undefined ? '' : ` at ${packageDir}`}: ${reason}`, options);
    this.name = 'NativeBackendUnavailable';
  }
}

/** Which library runs one curve's arithmetic, and from where it was loaded. */
export interface CurveBackend {
  readonly curve: 'secp256k1' | 'ed25519';
  readonly library: string;
  /** npm package name@version the binary came with. */
  readonly package: string;
  /** The loaded binary, when the loader can tell. */
  readonly binary?: string;
}

/** `name@version` of the package in `packageDir`. */
export function packageVersion(packageDir: string): string {
  const { name, version } = JSON.parse(readFileSync(join(packageDir, 'package.json'), 'utf8')) as { name: string; version: string };
  return `${name}@${version}`;
}

/** `load()`, with any failure turned into {@link NativeBackendUnavailable} naming the library and package. */
export function loadFailClosed<T>(library: string, packageName: string, packageDir: string | undefined, load: () => T): T {
  try {
    return load();
  } catch (cause) {
    throw new NativeBackendUnavailable(library, packageName, packageDir, { cause });
  }
}

/** The directory of the installed npm package `packageName`, which holds `library`'s binary. */
export function installedPackageDir(library: string, packageName: string): string {
  return loadFailClosed(library, packageName, undefined, () => dirname(createRequire(import.meta.url).resolve(`${packageName}/package.json`)));
}
