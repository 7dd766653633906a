import { checkCommand } from './check';
import { EXIT_FAILED, EXIT_OK, EXIT_USAGE, type Command, type Io } from './command';
import { dashboardCommand } from './dashboard';
import { CliError } from './errors';
import { injectCommand } from './inject';
import { replayCommand } from './replay';
import { routesCommand, topCommand } from './routes';
import { statCommand } from './stat';

export const COMMANDS: readonly Command[] = [checkCommand, statCommand, routesCommand, topCommand, injectCommand, replayCommand, dashboardCommand];

export function usage(): string {
  const width = Math.max(...COMMANDS.map((c) => c.name.length));
  return [
    'usage: trellis <command> [flags]',
    '',
    "The operator's view of a Trellis mesh, local (npm start) or on a cluster.",
    '',
    ...COMMANDS.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`),
    '',
    'trellis <command> --help describes each command.',
  ].join('\n');
}

/** Runs one command line; returns the exit code (2 for a bad command line, with one line on stderr). */
export async function runCli(argv: readonly string[], io: Io): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    io.stdout(`${usage()}\n`);
    return name === undefined ? EXIT_USAGE : EXIT_OK;
  }
  const command = COMMANDS.find((c) => c.name === name);
  if (command === undefined) {
    io.stderr(`trellis: unknown command "${name}" (commands: ${COMMANDS.map((c) => c.name).join(', ')})\n`);
    return EXIT_USAGE;
  }
  try {
    return await command.run(rest, io);
  } catch (err) {
    if (!(err instanceof CliError)) throw err;
    io.stderr(`${err.message.startsWith('trellis') ? '' : `trellis ${name}: `}${err.message}\n`);
    return err.code === 'CLI_BAD_FLAG' ? EXIT_USAGE : EXIT_FAILED;
  }
}
