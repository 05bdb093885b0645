import { main, type CliIo } from './chainsig.js';

/** Runs `chainsig` in process with captured output (tests; the CLI itself writes to the process's streams). */
export async function runCli(...argv: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const io: CliIo = { stdout: { write: (text: string) => (stdout += text) }, stderr: { write: (text: string) => (stderr += text) } };
  const code = await main(argv, io);
  return { code, stdout, stderr };
}
