/**
 * The FastAuth ABI (shared/near/fast-auth-abi.ts) as the contracts read it: the argument names each
 * method accepts, checked by the compiler against the ABI's types, and the answers of the contract
 * called before a callback.
 */
import type { JwtGuardVerdict, RouterVerdict } from '../../shared/near/fast-auth-abi.js';
import { decodeJson } from '../common/runtime.js';

/** Every argument name of `T` and no other (the compiler refuses a missing or unknown one), for `onlyKeys`. */
export const argumentNames = <T>(names: Record<keyof T, true>): readonly string[] => Object.keys(names);

function readTuple(value: Uint8Array, length: number): [boolean, ...string[]] | null {
  let tuple: unknown;
  try {
    tuple = decodeJson(value);
  } catch {
    return null;
  }
  if (!Array.isArray(tuple) || tuple.length !== length || typeof tuple[0] !== 'boolean' || !tuple.slice(1).every((item) => typeof item === 'string')) return null;
  return tuple as [boolean, ...string[]];
}

/** A guard's `(valid, sub or reason)`, or null when it answered anything else. */
export const readGuardVerdict = (value: Uint8Array): JwtGuardVerdict | null => readTuple(value, 2) as JwtGuardVerdict | null;

/** The router's `(valid, sub, guard_name)`, or null when it answered anything else (a plain guard's pair included). */
export const readRouterVerdict = (value: Uint8Array): RouterVerdict | null => readTuple(value, 3) as RouterVerdict | null;
