/** The `chainsig` command line. Subcommands arrive with the issues that build them. */
const USAGE = `usage: chainsig <command> [options]

commands:
  help      print this text
`;

export async function main(argv: readonly string[]): Promise<number> {
  const [command] = argv;
  if (command === undefined || command === 'help' || command === '--help') {
    process.stdout.write(USAGE);
    return command === undefined ? 2 : 0;
  }
  process.stderr.write(`chainsig: unknown command "${command}"\n${USAGE}`);
  return 2;
}
