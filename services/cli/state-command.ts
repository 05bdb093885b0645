/** `chainsig state`: the signer's `state()` as a readable summary, or its JSON. */
import { SIGNER_ERRORS, SIGNER_METHODS, type ProtocolContractState } from '../../shared/near/signer-abi.js';
import type { CliIo } from './cli-io.js';
import { ChainRefused } from './command-failed.js';
import { ContractClient } from './contract-client.js';
import { rpcUrl } from './flag-values.js';
import { readCommandFlags, requireFlags } from './flags.js';
import { stateSummary } from './state-summary.js';

export const STATE_USAGE = `  state                 the signer's state(): protocol phase, epoch, participants, governance threshold,
                        domains and keys, the key event in progress, pending votes
            --rpc <url>  --contract <account>
            --json                      state() as the contract returns it ("NotInitialized" before init)
`;

/**
 * `state()`, with near/mpc's uninitialized contract read as `NotInitialized`: it has no state to
 * answer from, and its view panics with near-sdk's "Calling default not allowed.".
 */
export async function readSignerState(client: ContractClient): Promise<ProtocolContractState> {
  try {
    return (await client.view(SIGNER_METHODS.state)) as ProtocolContractState;
  } catch (error) {
    if (error instanceof ChainRefused && error.reason === SIGNER_ERRORS.uninitialized) return 'NotInitialized';
    throw error;
  }
}

export async function stateCommand(args: readonly string[], io: CliIo): Promise<void> {
  const { values, json } = readCommandFlags('state', args, ['--rpc', '--contract'] as const);
  requireFlags('state', values, ['--rpc', '--contract']);
  const state = await readSignerState(new ContractClient(rpcUrl('state', values.get('--rpc')!), values.get('--contract')!));
  io.stdout.write(json ? `${JSON.stringify(state)}\n` : `${stateSummary(state).join('\n')}\n`);
}
