/**
 * `chainsig sign`: one `sign` call on the MPC signer over NEAR JSON-RPC through the demo client
 * (services/devnet/demo/sign-client.ts), waiting for the signature and checking it under the derived
 * key — the contract's `derived_public_key` view, itself compared with a local derivation.
 */
import type { KeyPair } from '@near-js/crypto';
import { bytesToHex, hexToBytes } from '@noble/hashes/utils.js';
import { formatNearPublicKey, parsePublicKey } from '../../shared/near/keys.js';
import { MAX_EDDSA_PAYLOAD_BYTES, SIGNER_ERRORS } from '../../shared/near/signer-abi.js';
import { SIGN_DEPOSIT, SIGN_GAS, SignatureVerificationFailed, SignClient, type SignRecord, type SignScheme, verifySignRecord } from '../devnet/demo/sign-client.js';
import { deriveChildKey } from './derived-key.js';
import { CommandFailed } from './command-failed.js';
import { rpcUrl, secretKey, wholeNumber } from './flag-values.js';
import { readCommandFlags, requireFlags } from './flags.js';
import { rpcFailure } from './rpc-errors.js';
import { UsageError } from './usage-error.js';

const TERA_GAS = 10n ** 12n;
/** NEAR's `max_total_prepaid_gas`. */
const MAX_GAS_TGAS = 300n;
/** Longer than NEAR's 200-block yield timeout, so the contract's Timeout error normally comes first. */
const DEFAULT_TIMEOUT_SECONDS = 300;
/** The domains near/mpc and the devnet create first. */
const DOMAIN_SCHEMES: ReadonlyMap<number, SignScheme> = new Map([
  [0, 'Secp256k1'],
  [1, 'Ed25519'],
]);

export const SIGN_USAGE = `  sign      call sign on the MPC signer, wait for the signature and verify it under the derived key
            --rpc <url>                 NEAR JSON-RPC endpoint (npm start prints the devnet's)
            --contract <account>        the MPC signer contract
            --account <account>         the account that calls sign (the predecessor the key derives for)
            --secret-key <ed25519:…>    a full-access key of --account (sign needs a deposit)
            --domain 0|1                0 = secp256k1 ECDSA, 1 = Ed25519
            --path <path>               the derivation path
            --payload <hex>             ECDSA: the 32-byte hash; Ed25519: the message, at most ${MAX_EDDSA_PAYLOAD_BYTES} bytes
            --deposit <yoctoNEAR>       attached deposit (default ${SIGN_DEPOSIT}; the signer refunds all but 1 yocto)
            --gas <Tgas>                prepaid gas in Tgas (default ${SIGN_GAS / TERA_GAS}, at most ${MAX_GAS_TGAS})
            --timeout-seconds <s>       stop waiting for the result after this long (default ${DEFAULT_TIMEOUT_SECONDS})
            --json                      print the record npm start --json writes, one line
`;

export interface SignOptions {
  readonly rpcUrl: string;
  readonly contractId: string;
  readonly accountId: string;
  readonly keyPair: KeyPair;
  readonly domainId: number;
  readonly scheme: SignScheme;
  readonly path: string;
  readonly payload: Uint8Array;
  readonly deposit: bigint;
  readonly gas: bigint;
  readonly timeoutMs: number;
  readonly json: boolean;
}

const VALUE_FLAGS = ['--rpc', '--contract', '--account', '--secret-key', '--domain', '--path', '--payload', '--deposit', '--gas', '--timeout-seconds'] as const;
type ValueFlag = (typeof VALUE_FLAGS)[number];
const REQUIRED: readonly ValueFlag[] = ['--rpc', '--contract', '--account', '--secret-key', '--domain', '--path', '--payload'];

function domain(value: string): { domainId: number; scheme: SignScheme } {
  const scheme = /^\d{1,9}$/.test(value) ? DOMAIN_SCHEMES.get(Number(value)) : undefined;
  if (scheme === undefined) throw new UsageError(`sign: unknown domain "${value}" (0 = secp256k1 ECDSA, 1 = Ed25519)`);
  return { domainId: Number(value), scheme };
}

function payload(value: string, scheme: SignScheme): Uint8Array {
  const hex = value.startsWith('0x') ? value.slice(2) : value;
  if (!/^(?:[0-9a-fA-F]{2})+$/.test(hex)) throw new UsageError(`sign: --payload must be non-empty hex with an even number of digits, got "${value}"`);
  const bytes = hexToBytes(hex.toLowerCase());
  if (scheme === 'Secp256k1' && bytes.length !== 32) throw new UsageError(`sign: an ECDSA payload is a 32-byte hash (64 hex digits), got ${bytes.length} bytes`);
  if (scheme === 'Ed25519' && bytes.length > MAX_EDDSA_PAYLOAD_BYTES) throw new UsageError(`sign: an Ed25519 payload is at most ${MAX_EDDSA_PAYLOAD_BYTES} bytes, got ${bytes.length}`);
  return bytes;
}

export function parseSignArgs(args: readonly string[]): SignOptions {
  const { values, json } = readCommandFlags('sign', args, VALUE_FLAGS);
  requireFlags('sign', values, REQUIRED);
  const get = (flag: ValueFlag): string | undefined => values.get(flag);
  const { domainId, scheme } = domain(get('--domain')!);
  const gasTgas = get('--gas') === undefined ? SIGN_GAS / TERA_GAS : wholeNumber('sign', '--gas', get('--gas')!);
  if (gasTgas < 1n || gasTgas > MAX_GAS_TGAS) throw new UsageError(`sign: --gas is in Tgas, from 1 to ${MAX_GAS_TGAS}; got ${gasTgas}`);
  const timeoutSeconds = get('--timeout-seconds') === undefined ? DEFAULT_TIMEOUT_SECONDS : Number(get('--timeout-seconds'));
  if (!(timeoutSeconds > 0 && timeoutSeconds <= 86_400)) throw new UsageError(`sign: --timeout-seconds must be a number of seconds above 0 (at most a day), got "${get('--timeout-seconds')}"`);
  return {
    rpcUrl: rpcUrl('sign', get('--rpc')!),
    contractId: get('--contract')!,
    accountId: get('--account')!,
    keyPair: secretKey('sign', get('--secret-key')!),
    domainId,
    scheme,
    path: get('--path')!,
    payload: payload(get('--payload')!, scheme),
    deposit: get('--deposit') === undefined ? SIGN_DEPOSIT : wholeNumber('sign', '--deposit', get('--deposit')!),
    gas: gasTgas * TERA_GAS,
    timeoutMs: timeoutSeconds * 1000,
    json,
  };
}

/** What near/mpc's terse texts mean for the user, appended to them. */
const REASON_HINTS: Record<string, string> = {
  [SIGNER_ERRORS.requestTimedOut]: ' (no MPC node answered before the yield timed out, 200 blocks on NEAR; the signer kept the 1 yoctoNEAR sign deposit, the rest of the deposit came back when the request was accepted)',
};

function failure(options: SignOptions, error: unknown): CommandFailed {
  return rpcFailure(options.rpcUrl, `sign on ${options.contractId} as ${options.accountId}`, error, REASON_HINTS);
}

/** Sends the request and waits for the verified record, at most `timeoutMs`. */
export async function requestSignature(options: SignOptions): Promise<SignRecord> {
  const client = new SignClient({ rpcUrl: options.rpcUrl, signerContractId: options.contractId, accountId: options.accountId, keyPair: options.keyPair });
  const signing = client.sign({ domainId: options.domainId, scheme: options.scheme, path: options.path, payload: options.payload, deposit: options.deposit, gas: options.gas });
  // The client has no way to cancel its RPC wait; after a timeout its outcome is of no interest.
  signing.catch(() => undefined);
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(
      () => reject(new CommandFailed(`no result from ${options.contractId} within ${options.timeoutMs / 1000} s; the request may still be answered or time out on chain`)),
      options.timeoutMs,
    );
  });
  let record: SignRecord;
  try {
    record = await Promise.race([signing, timedOut]);
  } catch (error) {
    throw failure(options, error);
  } finally {
    clearTimeout(timer);
  }
  try {
    verifySignRecord(record);
  } catch (error) {
    if (error instanceof SignatureVerificationFailed) throw new CommandFailed(error.message, { cause: error });
    throw error;
  }
  const local = formatNearPublicKey(deriveChildKey(parsePublicKey(record.root_public_key), options.accountId, options.path).derived);
  if (local !== record.derived_public_key) {
    throw new CommandFailed(`the contract derives ${record.derived_public_key} for ${options.accountId} / "${options.path}", but the root key ${record.root_public_key} gives ${local}`);
  }
  return record;
}

export async function signCommand(args: readonly string[], io: { stdout: { write(text: string): unknown } }): Promise<void> {
  const options = parseSignArgs(args);
  const record = await requestSignature(options);
  if (options.json) {
    io.stdout.write(`${JSON.stringify(record)}\n`);
    return;
  }
  const lines = [
    `request:     sign on ${options.contractId} as ${options.accountId}: domain ${record.domain_id} (${record.scheme}), path "${record.path}", payload ${bytesToHex(options.payload)}`,
    `             deposit ${options.deposit} yoctoNEAR, gas ${options.gas / TERA_GAS} Tgas`,
    `derived key: ${record.derived_public_key} (root ${record.root_public_key})`,
    `response:    ${JSON.stringify(record.response)}`,
    `verified:    the ${record.scheme} signature verifies under the derived key`,
    `latency:     ${record.latency_ms} ms`,
  ];
  io.stdout.write(`${lines.join('\n')}\n`);
}
