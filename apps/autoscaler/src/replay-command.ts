import { readFile } from 'node:fs/promises';
import { KpaError, parseCaseFile, replayReport, type KpaCase } from '@trellis/kpa';

export const EXIT_PASS = 0;
export const EXIT_FAIL = 1;
export const EXIT_BAD_INPUT = 2;

/** Runs every case of a KPA case file and writes one PASS/FAIL line per step; returns the process exit code. */
export async function runReplay(args: readonly string[], write: (line: string) => void): Promise<number> {
  if (args.length !== 1 || args[0] === undefined || args[0].startsWith('-')) {
    write('usage: kpa-replay <cases.json>');
    return EXIT_BAD_INPUT;
  }
  const file = args[0];
  let cases: KpaCase[];
  try {
    cases = parseCaseFile(JSON.parse(await readFile(file, 'utf8')));
  } catch (err) {
    write(`error: cannot use ${file}: ${describe(err)}`);
    return EXIT_BAD_INPUT;
  }
  const report = replayReport(cases);
  for (const line of report.lines) write(line);
  return report.failed === 0 ? EXIT_PASS : EXIT_FAIL;
}

function describe(err: unknown): string {
  if (err instanceof KpaError) return err.message;
  if (err instanceof SyntaxError) return `not valid JSON (${err.message})`;
  if (err instanceof Error && 'code' in err && err.code === 'ENOENT') return 'no such file';
  return err instanceof Error ? err.message : String(err);
}
