/**
 * `chainsig contract deploy` and `chainsig contract init`: putting a signer on an account. Both act on
 * the account that signs — NEAR deploys code only to the signing account, and our model of the signer
 * accepts `init` only from the contract itself (near/mpc 3.14 takes it from anyone; the deployer
 * calling it is how both are set up alike).
 */
import { sha256 } from '@noble/hashes/sha2.js';
import { base58 } from '@scure/base';
import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { SIGNER_METHODS } from '../../shared/near/signer-abi.js';
import type { CliIo } from './cli-io.js';
import { CommandFailed } from './command-failed.js';
import { jsonValue, safeInteger } from './flag-values.js';
import { readCommandFlags, requireFlags } from './flags.js';
import { readConnection, runSignerCall } from './signer-call.js';
import { checkGovernanceThreshold, readInitConfig, readParticipants } from './signer-arguments.js';
import { labelled } from './state-summary.js';
import { UsageError } from './usage-error.js';

export const CONTRACT_USAGE = `  contract deploy       deploy a wasm module (near/mpc's signer, say) to --account, which signs
            --wasm <file>               the wasm module
            --rpc <url>  --account <account>  --secret-key <ed25519:…>
  contract init         call init on the signer deployed to --account, which signs its own init
            --participants <json|file>  the initial participants: [{"account_id", "id", "url", "tls_public_key"}, …]
                                        (id optional: the position), or the contract's own form, [[account, id,
                                        {url, tls_public_key}], …] or {"next_id", "participants"}
            --threshold <t>             governance threshold: at least 2 and 60 % of the participants (rounded up),
                                        at most all of them
            --init-config <json|file>   config() fields to set, e.g. {"key_event_timeout_blocks":100}
            --rpc <url>  --account <contract account>  --secret-key <ed25519:…>
`;

/** Every wasm module starts with these four bytes: `\0asm`. */
const WASM_MAGIC = [0x00, 0x61, 0x73, 0x6d] as const;

function readWasm(file: string): Uint8Array {
  let bytes: Uint8Array;
  try {
    bytes = new Uint8Array(readFileSync(file));
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    throw new UsageError(`contract deploy: cannot read --wasm ${file} (${typeof code === 'string' ? code : (error as Error).message})`);
  }
  if (!WASM_MAGIC.every((byte, index) => bytes[index] === byte)) throw new UsageError(`contract deploy: --wasm ${file} is not a wasm module (it does not start with \\0asm)`);
  return bytes;
}

async function deploy(args: readonly string[], io: CliIo): Promise<void> {
  const { values, json } = readCommandFlags('contract deploy', args, ['--wasm', '--rpc', '--account', '--secret-key'] as const);
  requireFlags('contract deploy', values, ['--wasm']);
  const wasm = readWasm(values.get('--wasm')!);
  const connection = readConnection('contract deploy', values, { ownContract: true });
  const codeHash = base58.encode(sha256(wasm));
  const outcome = await connection.client.deploy(connection.caller, wasm);
  // What the chain now holds for the account, which is what its users will check.
  const deployed = await connection.client.codeHash(connection.caller.accountId);
  if (deployed !== codeHash) throw new CommandFailed(`the deploy to ${connection.caller.accountId} went through, but the account's code hash is ${deployed}, not ${codeHash}`);
  const record = { account_id: connection.caller.accountId, wasm: values.get('--wasm')!, size_bytes: wasm.length, code_hash: codeHash, transaction_hash: outcome.transactionHash };
  const lines = [
    labelled('deployed', `${basename(record.wasm)} to ${record.account_id}, ${record.size_bytes} bytes`),
    labelled('code hash', record.code_hash),
    labelled('transaction', record.transaction_hash),
  ];
  io.stdout.write(json ? `${JSON.stringify(record)}\n` : `${lines.join('\n')}\n`);
}

async function init(args: readonly string[], io: CliIo): Promise<void> {
  const command = 'contract init';
  const { values, json } = readCommandFlags(command, args, ['--participants', '--threshold', '--init-config', '--rpc', '--account', '--secret-key'] as const);
  requireFlags(command, values, ['--participants', '--threshold']);
  const participants = readParticipants(command, '--participants', jsonValue(command, '--participants', values.get('--participants')!));
  const threshold = safeInteger(command, '--threshold', values.get('--threshold')!);
  checkGovernanceThreshold(command, '--threshold', threshold, participants.participants.length);
  const initConfig = values.has('--init-config') ? readInitConfig(command, '--init-config', jsonValue(command, '--init-config', values.get('--init-config')!)) : undefined;
  const connection = readConnection(command, values, { ownContract: true });
  await runSignerCall(io, json, connection, SIGNER_METHODS.init, { parameters: { participants, threshold }, ...(initConfig === undefined ? {} : { init_config: initConfig }) });
}

export const CONTRACT_COMMANDS = { deploy, init } as const;
