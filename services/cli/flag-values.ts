/**
 * Readers for flag values the commands share: an RPC URL, a NEAR secret key, numbers, and JSON given
 * inline or as a file. Each refuses bad input with a {@link UsageError} that names the command and flag.
 */
import { KeyPair, type KeyPairString } from '@near-js/crypto';
import { readFileSync } from 'node:fs';
import { UsageError } from './usage-error.js';

/** An absolute http:// or https:// URL (the RPC; a node's mesh address, which its peers reach over HTTP). */
export function isHttpUrl(value: string): boolean {
  if (!URL.canParse(value)) return false;
  const { protocol } = new URL(value);
  return protocol === 'http:' || protocol === 'https:';
}

export function rpcUrl(command: string, value: string): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new UsageError(`${command}: --rpc "${value}" is not a URL`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new UsageError(`${command}: --rpc must be an http(s) URL, not "${value}"`);
  return value;
}

export function secretKey(command: string, value: string): KeyPair {
  try {
    return KeyPair.fromString(value as KeyPairString);
  } catch (error) {
    // The value is a secret: the message names the expected form, never the value.
    throw new UsageError(`${command}: --secret-key is not a NEAR secret key (ed25519:<base58>): ${error instanceof Error ? error.message : String(error)}`);
  }
}

/** A non-negative integer of any size (yoctoNEAR, gas). */
export function wholeNumber(command: string, flag: string, value: string): bigint {
  if (!/^\d{1,40}$/.test(value)) throw new UsageError(`${command}: ${flag} must be a whole number, got "${value}"`);
  return BigInt(value);
}

/** A non-negative integer the contract reads as a JSON number (ids, epochs, thresholds). */
export function safeInteger(command: string, flag: string, value: string): number {
  if (!/^\d{1,15}$/.test(value)) throw new UsageError(`${command}: ${flag} must be a whole number, got "${value}"`);
  return Number(value);
}

/**
 * JSON given inline (it starts with `[`, `{` or `"`) or as the path of a file holding it: operators
 * keep participant lists and domain proposals in files, and paste short ones.
 */
export function jsonValue(command: string, flag: string, value: string): unknown {
  const inline = /^\s*[[{"]/.test(value);
  let text = value;
  if (!inline) {
    try {
      text = readFileSync(value, 'utf8');
    } catch (error) {
      const code = (error as { code?: unknown }).code;
      throw new UsageError(`${command}: ${flag} is neither JSON nor a readable file ("${value}": ${typeof code === 'string' ? code : (error as Error).message})`);
    }
  }
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    throw new UsageError(`${command}: ${flag}${inline ? '' : ` (file ${value})`} is not valid JSON: ${(error as Error).message}`);
  }
}
