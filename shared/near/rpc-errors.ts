/** What NEAR's RPC says when a contract panicked, as the text the contract panicked with. */

/** nearcore reports a view's panic as `…FunctionCallError(HostError(GuestPanic { panic_msg: "<text>" }))`; null for other errors. */
export function viewPanicText(message: string): string | null {
  const quoted = /GuestPanic \{ panic_msg: ("(?:[^"\\]|\\.)*")/.exec(message)?.[1];
  if (quoted === undefined) return null;
  try {
    return JSON.parse(quoted) as string;
  } catch {
    // Rust's debug escapes that JSON lacks (`\'`, `\u{…}`): keep the text as it is.
    return quoted.slice(1, -1);
  }
}
