/**
 * The `chainsig` command line: `derive` a chain-signatures key offline, `sign` through a NEAR RPC, and
 * the commands an operator of a signer network runs (`contract`, `participant`, `vote`, `state`).
 */
import { bytesToHex } from '@noble/hashes/utils.js';
import { TweakNotOnCurve } from '../../shared/crypto/kdf.js';
import { ethereumAddress, formatNearPublicKey, InvalidPublicKey, parsePublicKey, publicKeyHex, type CurveName } from '../../shared/near/keys.js';
import type { CliIo } from './cli-io.js';
import { CommandFailed } from './command-failed.js';
import { CONTRACT_COMMANDS, CONTRACT_USAGE } from './contract-commands.js';
import { deriveChildKey } from './derived-key.js';
import { readCommandFlags } from './flags.js';
import { PARTICIPANT_COMMANDS, PARTICIPANT_USAGE } from './participant-command.js';
import { SIGN_USAGE, signCommand } from './sign.js';
import { STATE_USAGE, stateCommand } from './state-command.js';
import { UsageError } from './usage-error.js';
import { VOTE_COMMANDS, VOTE_USAGE } from './vote-commands.js';

export type { CliIo } from './cli-io.js';

const USAGE = `usage: chainsig <command> [options]

commands:
  help      print this text
  derive    the public key (and Ethereum address) NEAR chain signatures derive for an account and path
            --curve secp256k1|ed25519   needed when --root is hex; must match a NEAR-form root
            --root <public key>         the MPC root key: secp256k1:<base58 x‖y>, ed25519:<base58>, or hex
            --predecessor <account>     the account that calls sign (for FastAuth: the FastAuth contract)
            --path <path>               the derivation path of the request
            --json                      print {"tweak","publicKey","publicKeyHex","ethereumAddress"}
${SIGN_USAGE}
operating a signer network — near/mpc's signer contract (ABI 3.14) or this project's model of it. Commands that
send a transaction sign it as --account with --secret-key, a full-access key (ed25519:…), through --rpc;
they print what was sent, the outcome and the protocol phase after it, or with --json one JSON record:
${CONTRACT_USAGE}${PARTICIPANT_USAGE}${VOTE_USAGE}${STATE_USAGE}
exit codes: 0 done; 1 the command failed (RPC unreachable, the contract refused: its text is printed); 2 a bad command line
`;

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

type Command = (args: readonly string[], io: CliIo) => void | Promise<void>;

const COMMANDS: Readonly<Record<string, Command>> = { derive, sign: signCommand, state: stateCommand };
/** Commands with a subcommand: `contract deploy`, `vote add-domains` … */
const COMMAND_GROUPS: Readonly<Record<string, Readonly<Record<string, Command>>>> = { contract: CONTRACT_COMMANDS, participant: PARTICIPANT_COMMANDS, vote: VOTE_COMMANDS };

function commandOf(command: string, args: readonly string[]): { run: Command; args: readonly string[] } {
  const single = Object.hasOwn(COMMANDS, command) ? COMMANDS[command] : undefined;
  if (single !== undefined) return { run: single, args };
  const group = Object.hasOwn(COMMAND_GROUPS, command) ? COMMAND_GROUPS[command] : undefined;
  if (group === undefined) throw new UsageError(`unknown command "${command}"`);
  const [name, ...rest] = args;
  const run = name !== undefined && Object.hasOwn(group, name) ? group[name] : undefined;
  const known = Object.keys(group).map((each) => `${command} ${each}`).join(', ');
  if (run === undefined) throw new UsageError(name === undefined ? `${command}: which one? ${known}` : `unknown command "${command} ${name}" (known: ${known})`);
  return { run, args: rest };
}

export async function main(argv: readonly string[], io: CliIo = process): Promise<number> {
  const [command, ...args] = argv;
  if (command === undefined || command === 'help' || command === '--help') {
    io.stdout.write(USAGE);
    return command === undefined ? 2 : 0;
  }
  try {
    const selected = commandOf(command, args);
    await selected.run(selected.args, io);
    return 0;
  } catch (error) {
    if (error instanceof UsageError || error instanceof InvalidPublicKey) {
      io.stderr.write(`chainsig: ${error.message}\n${error instanceof UsageError ? USAGE : ''}`);
      return 2;
    }
    if (error instanceof CommandFailed) {
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
