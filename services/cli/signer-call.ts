/**
 * What the operator commands that send a transaction share: the connection flags, the call itself
 * (300 Tgas, as near/mpc's nodes attach to their participant calls) and its report — what was sent,
 * the outcome, and the protocol phase the contract is in afterwards.
 */
import { PARTICIPANT_CALL_GAS, TGAS, type ProtocolContractState } from '../../shared/near/signer-abi.js';
import type { CliIo } from './cli-io.js';
import { CommandFailed } from './command-failed.js';
import { ContractClient, type CallOutcome, type Caller } from './contract-client.js';
import { rpcUrl, secretKey } from './flag-values.js';
import { requireFlags } from './flags.js';
import { labelled, protocolLine } from './state-summary.js';
import { readSignerState } from './state-command.js';

export const CONNECTION_FLAGS = ['--rpc', '--contract', '--account', '--secret-key'] as const;
export type ConnectionFlag = (typeof CONNECTION_FLAGS)[number];

export interface SignerConnection {
  readonly client: ContractClient;
  readonly caller: Caller;
}

/**
 * `--rpc`, `--account` and `--secret-key`, and the contract: `--contract`, or with `ownContract` the
 * account itself (deploy and init act on the account that signs).
 */
export function readConnection(command: string, values: ReadonlyMap<string, string>, options: { ownContract?: boolean } = {}): SignerConnection {
  const flags = options.ownContract === true ? (['--rpc', '--account', '--secret-key'] as const) : CONNECTION_FLAGS;
  requireFlags<string>(command, values, flags);
  const accountId = values.get('--account')!;
  return {
    client: new ContractClient(rpcUrl(command, values.get('--rpc')!), options.ownContract === true ? accountId : values.get('--contract')!),
    caller: { accountId, keyPair: secretKey(command, values.get('--secret-key')!) },
  };
}

/** The `--json` record of a call. */
export interface CallRecord {
  readonly contract_id: string;
  readonly account_id: string;
  readonly method: string;
  readonly args: Record<string, unknown>;
  readonly gas_tgas: number;
  readonly transaction_hash: string;
  readonly result: unknown;
  readonly logs: readonly string[];
  /** `state()` after the call; null if it could not be read (the call itself succeeded). */
  readonly state: ProtocolContractState | null;
}

/** Sends `method(args)` as the connection's caller with 300 Tgas and returns its record; a refusal is a {@link CommandFailed} with the contract's text. */
export async function sendSignerCall({ client, caller }: SignerConnection, method: string, args: Record<string, unknown>): Promise<CallRecord> {
  const outcome: CallOutcome = await client.call(caller, method, args, PARTICIPANT_CALL_GAS);
  let state: ProtocolContractState | null;
  try {
    state = await readSignerState(client);
  } catch (error) {
    // The call went through; only the report of where it left the contract is missing.
    if (!(error instanceof CommandFailed)) throw error;
    state = null;
  }
  return {
    contract_id: client.contractId,
    account_id: caller.accountId,
    method,
    args,
    gas_tgas: Number(PARTICIPANT_CALL_GAS / TGAS),
    transaction_hash: outcome.transactionHash,
    result: outcome.result,
    logs: outcome.logs,
    state,
  };
}

export function callReportLines(record: CallRecord): string[] {
  return [
    labelled('call', `${record.method} on ${record.contract_id} as ${record.account_id}, ${record.gas_tgas} Tgas`),
    labelled('arguments', JSON.stringify(record.args)),
    labelled('outcome', `success, transaction ${record.transaction_hash}${record.result === null ? '' : `, returned ${JSON.stringify(record.result)}`}`),
    ...record.logs.map((log) => labelled('log', log)),
    record.state === null ? labelled('protocol', '(state() could not be read after the call)') : protocolLine(record.state),
  ];
}

/** Sends the call and prints its report, or with `json` its record on one line. */
export async function runSignerCall(io: CliIo, json: boolean, connection: SignerConnection, method: string, args: Record<string, unknown>): Promise<void> {
  const record = await sendSignerCall(connection, method, args);
  io.stdout.write(json ? `${JSON.stringify(record)}\n` : `${callReportLines(record).join('\n')}\n`);
}
