/**
 * Reading what went wrong in an @near-js call for the user: an RPC that does not answer, or the
 * contract's own text for a refused call or a panicking view.
 */
import { viewPanicText } from '../../shared/near/rpc-errors.js';
import { CommandFailed, ChainRefused } from './command-failed.js';

/** What an error says; read by shape, since Node's fetch errors come from another realm than a test's. */
export const messageOf = (error: unknown): string => (typeof (error as { message?: unknown } | null)?.message === 'string' ? (error as { message: string }).message : String(error));

/** Node's fetch rejects with "fetch failed" and the socket error as its cause when nothing answers. */
export function unreachableCause(error: unknown): string | null {
  if (messageOf(error) !== 'fetch failed') return null;
  const cause = (error as { cause?: { code?: unknown; message?: unknown } }).cause;
  return String(cause?.code ?? cause?.message ?? 'no answer');
}

/**
 * near-js reports a failed call as the receipt's error JSON; a contract panic is the string in its
 * `ExecutionError`, and that text is what the user needs to read. Other failures (a deploy without the
 * balance to stake its storage, say) come as near-js's own sentence, returned as it is.
 */
export function contractErrorText(message: string): string {
  const match = /"ExecutionError":("(?:[^"\\]|\\.)*")/.exec(message);
  if (match === null) return message;
  return (JSON.parse(match[1]!) as string).replace(/^Smart contract panicked: /, '');
}

/**
 * The {@link CommandFailed} for an error of `doing` (e.g. "vote_add_domains on signer.near as node0.near"):
 * the RPC unreachable, or a {@link ChainRefused} `doing failed: <contract text>` with what `hints`
 * adds for a known text.
 */
export function rpcFailure(rpcUrl: string, doing: string, error: unknown, hints: Readonly<Record<string, string>> = {}): CommandFailed {
  if (error instanceof CommandFailed) return error;
  const unreachable = unreachableCause(error);
  if (unreachable !== null) return new CommandFailed(`cannot reach the RPC at ${rpcUrl} (${unreachable})`, { cause: error });
  const message = messageOf(error);
  const reason = viewPanicText(message) ?? contractErrorText(message);
  return new ChainRefused(`${doing} failed: ${reason}${hints[reason] ?? ''}`, reason, { cause: error });
}
