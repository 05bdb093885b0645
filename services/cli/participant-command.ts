/**
 * `chainsig participant info`: what a node registers in the signer — its `{url, tls_public_key}` from
 * its mesh secret and URL, and the `submit_participant_info` arguments with a mock attestation —
 * printed for the operators who assemble `contract init`'s participants, and with `--submit` sent.
 */
import { MOCK_VALID_ATTESTATION, SIGNER_METHODS, type ParticipantInfo } from '../../shared/near/signer-abi.js';
import type { CliIo } from './cli-io.js';
import { isHttpUrl } from './flag-values.js';
import { readCommandFlags, requireFlags } from './flags.js';
import { tlsPublicKeyOf } from '../../shared/near/keys.js';
import { meshSecretKey } from './mesh-identity.js';
import { CONNECTION_FLAGS, readConnection, sendSignerCall, callReportLines } from './signer-call.js';
import { labelled } from './state-summary.js';
import { UsageError } from './usage-error.js';

export const PARTICIPANT_USAGE = `  participant info      a node's {url, tls_public_key} and its submit_participant_info arguments
            --mesh-secret-key <hex>     the node's 32-byte mesh identity secret (its MESH_SIGN_SECRET_KEY)
            --url <url>                 the node's mesh URL, as its peers reach it
            --account <account>         the node's account: also print its entry for contract init --participants
            --submit                    send submit_participant_info (mock attestation) as --account, with
                                        --rpc <url>  --contract <account>  --secret-key <ed25519:…>
`;

const COMMAND = 'participant info';

async function info(args: readonly string[], io: CliIo): Promise<void> {
  const { values, json, switches } = readCommandFlags(COMMAND, args, ['--mesh-secret-key', '--url', ...CONNECTION_FLAGS] as const, ['--submit'] as const);
  requireFlags(COMMAND, values, ['--mesh-secret-key', '--url']);
  const submit = switches.has('--submit');
  const sendOnly = CONNECTION_FLAGS.filter((flag) => flag !== '--account' && values.has(flag));
  if (!submit && sendOnly.length > 0) throw new UsageError(`${COMMAND}: ${sendOnly[0]} is for --submit, which is not given`);
  const url = values.get('--url')!;
  if (!isHttpUrl(url)) throw new UsageError(`${COMMAND}: --url "${url}" is not an http(s) URL (the node's mesh address, e.g. https://node0.example.com)`);
  const participant: ParticipantInfo = { url, tls_public_key: tlsPublicKeyOf(meshSecretKey(COMMAND, '--mesh-secret-key', values.get('--mesh-secret-key')!)) };
  const submitArgs = { proposed_participant_attestation: MOCK_VALID_ATTESTATION, tls_public_key: participant.tls_public_key };
  const accountId = values.get('--account');
  const initEntry = accountId === undefined ? undefined : { account_id: accountId, ...participant };
  const call = submit ? await sendSignerCall(readConnection(COMMAND, values), SIGNER_METHODS.submitParticipantInfo, submitArgs) : undefined;
  if (json) {
    io.stdout.write(`${JSON.stringify({ participant_info: participant, submit_participant_info_args: submitArgs, ...(initEntry === undefined ? {} : { participants_entry: initEntry }), ...(call === undefined ? {} : { submitted: call }) })}\n`);
    return;
  }
  const lines = [
    labelled('participant', JSON.stringify(participant)),
    labelled('submit args', JSON.stringify(submitArgs)),
    ...(initEntry === undefined ? [] : [labelled('init entry', JSON.stringify(initEntry))]),
    ...(call === undefined ? [] : callReportLines(call)),
  ];
  io.stdout.write(`${lines.join('\n')}\n`);
}

export const PARTICIPANT_COMMANDS = { info } as const;
