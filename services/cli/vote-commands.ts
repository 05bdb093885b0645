/**
 * `chainsig vote …`: the governance votes a participant's operator casts on the signer — new domains,
 * new parameters (resharing), and cancelling a resharing or a key generation. Each is one call as the
 * participant's account with 300 Tgas; the arguments are checked locally first (signer-arguments.ts).
 */
import { SIGNER_METHODS } from '../../shared/near/signer-abi.js';
import type { CliIo } from './cli-io.js';
import { jsonValue, safeInteger } from './flag-values.js';
import { readCommandFlags, requireFlags } from './flags.js';
import { CONNECTION_FLAGS, readConnection, runSignerCall } from './signer-call.js';
import { readDomains, readGovernanceParameters, readPerDomainThresholds } from './signer-arguments.js';

export const VOTE_USAGE = `  vote add-domains      vote to add domains; once every participant voted the same, keys are generated
            --domains <json|file>       [{"id":0,"protocol":"CaitSith","reconstruction_threshold":2,"purpose":"Sign"}, …]
                                        protocols CaitSith, DamgardEtAl, Frost, ConfidentialKeyDerivation;
                                        purposes Sign, ForeignTx, CKD
  vote new-parameters   vote for a new participant set and threshold (a resharing)
            --prospective-epoch-id <n>  the current epoch + 1
            --parameters <json|file>    {"participants": <as contract init --participants>, "threshold": t}
            --per-domain-thresholds <json|file>
                                        optional: {"<domain id>": t}, reconstruction thresholds to change
  vote cancel-resharing vote to cancel the resharing in progress
  vote cancel-keygen    vote to cancel the key generation in progress
            --next-domain-id <n>        the contract's next domain id (chainsig state prints it)
            every vote: --rpc <url>  --contract <account>  --account <participant>  --secret-key <ed25519:…>
`;

/** One vote: its flags beyond the connection's, and how they become the method's arguments. */
interface Vote<Flag extends string> {
  /** The command line's name: `vote <name>`. */
  readonly name: string;
  readonly method: string;
  readonly flags: readonly Flag[];
  readonly required: readonly Flag[];
  readonly args: (command: string, values: ReadonlyMap<Flag, string>) => Record<string, unknown>;
}

const vote = <Flag extends string>(definition: Vote<Flag>) => async (args: readonly string[], io: CliIo): Promise<void> => {
  const command = `vote ${definition.name}`;
  const { values, json } = readCommandFlags<Flag | (typeof CONNECTION_FLAGS)[number]>(command, args, [...definition.flags, ...CONNECTION_FLAGS]);
  requireFlags<string>(command, values, definition.required);
  const callArgs = definition.args(command, values as ReadonlyMap<Flag, string>);
  await runSignerCall(io, json, readConnection(command, values), definition.method, callArgs);
};

export const VOTE_COMMANDS = {
  'add-domains': vote({
    name: 'add-domains',
    method: SIGNER_METHODS.voteAddDomains,
    flags: ['--domains'],
    required: ['--domains'],
    args: (command, values) => ({ domains: readDomains(command, '--domains', jsonValue(command, '--domains', values.get('--domains')!)) }),
  }),
  'new-parameters': vote({
    name: 'new-parameters',
    method: SIGNER_METHODS.voteNewParameters,
    flags: ['--prospective-epoch-id', '--parameters', '--per-domain-thresholds'],
    required: ['--prospective-epoch-id', '--parameters'],
    args: (command, values) => {
      const parameters = readGovernanceParameters(command, '--parameters', jsonValue(command, '--parameters', values.get('--parameters')!));
      const thresholds = values.get('--per-domain-thresholds');
      const perDomain = thresholds === undefined ? {} : readPerDomainThresholds(command, '--per-domain-thresholds', jsonValue(command, '--per-domain-thresholds', thresholds), parameters.participants.participants.length);
      return { prospective_epoch_id: safeInteger(command, '--prospective-epoch-id', values.get('--prospective-epoch-id')!), proposal: { parameters, per_domain_thresholds: perDomain } };
    },
  }),
  'cancel-resharing': vote({ name: 'cancel-resharing', method: SIGNER_METHODS.voteCancelResharing, flags: [], required: [], args: () => ({}) }),
  'cancel-keygen': vote({
    name: 'cancel-keygen',
    method: SIGNER_METHODS.voteCancelKeygen,
    flags: ['--next-domain-id'],
    required: ['--next-domain-id'],
    args: (command, values) => ({ next_domain_id: safeInteger(command, '--next-domain-id', values.get('--next-domain-id')!) }),
  }),
} as const;
