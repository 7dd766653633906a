import { readFile } from 'node:fs/promises';
import { KpaError, parseCaseFile, replayReport, type KpaCase } from '@trellis/kpa';
import { EXIT_FAILED, EXIT_OK, type Command } from './command';
import { CliError } from './errors';
import { outputFormat, parseFlags } from './flags';

const USAGE = `usage: trellis replay <cases.json> [flags]

Replays a KPA case file through the autoscaler's decider (libs/kpa, Knative's scaling algorithm) and prints
one PASS/FAIL line per step; exits 1 when a step differs. Knative's own cases: libs/kpa/src/fixtures/kpa-cases.json
(the format is described in its "about" field).

  -o table|json        output format (default table: the PASS/FAIL lines)
  -h, --help           this text`;

async function readCases(file: string): Promise<KpaCase[]> {
  try {
    return parseCaseFile(JSON.parse(await readFile(file, 'utf8')));
  } catch (err) {
    const why =
      err instanceof KpaError ? err.message
      : err instanceof SyntaxError ? `not valid JSON (${err.message})`
      : (err as { code?: string }).code === 'ENOENT' ? 'no such file'
      : (err as Error).message;
    throw new CliError('CLI_BAD_INPUT', `trellis replay: cannot use ${file}: ${why}`, { cause: err });
  }
}

export const replayCommand: Command = {
  name: 'replay',
  summary: 'replay KPA autoscaler cases through the decider',
  usage: USAGE,
  async run(argv, io) {
    const { values, positionals } = parseFlags('replay', argv, {}, true);
    if (values.help) {
      io.stdout(`${USAGE}\n`);
      return EXIT_OK;
    }
    if (positionals.length !== 1) throw new CliError('CLI_BAD_FLAG', 'trellis replay: expected one case file (see trellis replay --help)');
    const format = outputFormat('replay', values.output);
    const report = replayReport(await readCases(positionals[0]!));
    if (format === 'json') io.stdout(`${JSON.stringify({ passed: report.passed, failed: report.failed, outcomes: report.outcomes }, null, 2)}\n`);
    else io.stdout(`${report.lines.join('\n')}\n`);
    return report.failed === 0 ? EXIT_OK : EXIT_FAILED;
  },
};
