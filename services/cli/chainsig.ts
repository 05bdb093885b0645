/** The `chainsig` command line: `derive` a chain-signatures key offline, `sign` through a NEAR RPC. */
import { bytesToHex } from '@noble/hashes/utils.js';
import { TweakNotOnCurve } from '../../shared/crypto/kdf.js';
import { ethereumAddress, formatNearPublicKey, InvalidPublicKey, parsePublicKey, publicKeyHex, type CurveName } from '../../shared/near/keys.js';
import { deriveChildKey } from './derived-key.js';
import { SIGN_USAGE, SignCommandFailed, signCommand } from './sign.js';
import { UsageError } from './usage-error.js';
import { readCommandFlags } from './flags.js';

const USAGE = `usage: chainsig <command> [options]

commands:
  help      print this text
  derive    the public key (and Ethereum address) NEAR chain signatures derive for an account and path
            --curve secp256k1|ed25519   needed when --root is hex; must match a NEAR-form root
            --root <public key>         the MPC root key: secp256k1:<base58 x‖y>, ed25519:<base58>, or hex
            --predecessor <account>     the account that calls sign (for FastAuth: the FastAuth contract)
            --path <path>               the derivation path of the request
            --json                      print {"tweak","publicKey","publicKeyHex","ethereumAddress"}
${SIGN_USAGE}`;

/** Where the command writes; tests pass their own. */
export interface CliIo {
  readonly stdout: { write(text: string): unknown };
  readonly stderr: { write(text: string): unknown };
}

const DERIVE_VALUE_FLAGS = ['--curve', '--root', '--predecessor', '--path'] as const;

function derive(args: readonly string[], io: CliIo): void {
  const { values, json } = readCommandFlags('derive', args, DERIVE_VALUE_FLAGS);
  for (const flag of ['--root', '--predecessor', '--path'] as const) {
    if (!values.has(flag)) throw new UsageError(`derive: ${flag} is required`);
  }
  const curveFlag = values.get('--curve');
  if (curveFlag !== undefined && curveFlag !== 'secp256k1' && curveFlag !== 'ed25519') {
    throw new UsageError(`derive: --curve must be secp256k1 or ed25519, not "${curveFlag}"`);
  }
  const root = parsePublicKey(values.get('--root')!, curveFlag as CurveName | undefined);
  const predecessor = values.get('--predecessor')!;
  if (predecessor.includes(',')) throw new UsageError(`derive: --predecessor "${predecessor}" is not an account id (contains ',')`);
  const { tweak, derived } = deriveChildKey(root, predecessor, values.get('--path')!);
  const result = {
    tweak: bytesToHex(tweak),
    publicKey: formatNearPublicKey(derived),
    publicKeyHex: publicKeyHex(derived),
    ...(derived.curve === 'secp256k1' ? { ethereumAddress: ethereumAddress(derived.point) } : {}),
  };
  if (json) {
    io.stdout.write(`${JSON.stringify(result)}\n`);
    return;
  }
  const lines = [
    `curve:            ${derived.curve}`,
    `tweak:            ${result.tweak}`,
    `public key:       ${result.publicKey}`,
    `public key (hex): ${result.publicKeyHex}`,
    ...(result.ethereumAddress === undefined ? [] : [`ethereum address: ${result.ethereumAddress}`]),
  ];
  io.stdout.write(`${lines.join('\n')}\n`);
}

export async function main(argv: readonly string[], io: CliIo = process): Promise<number> {
  const [command, ...args] = argv;
  if (command === undefined || command === 'help' || command === '--help') {
    io.stdout.write(USAGE);
    return command === undefined ? 2 : 0;
  }
  try {
    if (command === 'derive') {
      derive(args, io);
      return 0;
    }
    if (command === 'sign') {
      await signCommand(args, io);
      return 0;
    }
    throw new UsageError(`unknown command "${command}"`);
  } catch (error) {
    if (error instanceof UsageError || error instanceof InvalidPublicKey) {
      io.stderr.write(`chainsig: ${error.message}\n${error instanceof UsageError ? USAGE : ''}`);
      return 2;
    }
    if (error instanceof SignCommandFailed) {
      io.stderr.write(`chainsig: ${error.message}\n`);
      return 1;
    }
    if (error instanceof TweakNotOnCurve) {
      io.stderr.write(`chainsig: ${error.message}; near/mpc refuses this account and path too\n`);
      return 1;
    }
    throw error;
  }
}
