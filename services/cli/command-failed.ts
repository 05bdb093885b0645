/**
 * The command line was sound but the command did not succeed — the RPC could not be reached, the
 * contract refused, a result did not verify: printed without the usage, exit code 1.
 */
export class CommandFailed extends Error {
  override name = 'CommandFailed';
}

/** The chain answered with a refusal: the contract's panic, or the RPC's error (no such account, no code …); `reason` is that text. */
export class ChainRefused extends CommandFailed {
  override name = 'ChainRefused';

  constructor(
    message: string,
    readonly reason: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}
