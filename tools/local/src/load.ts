// `npm run load -- <url> [--rps N] [--duration S] [--concurrency C] [--proxy URL]`: bounded open-loop HTTP load
// for the local mesh, printing rate, success and latency percentiles every second.
import { LocalError } from './errors';
import { LOAD_USAGE, parseLoadArgs } from './load/load-options';
import { formatWindow, runLoad } from './load/run-load';

async function main(): Promise<void> {
  let options;
  try {
    options = parseLoadArgs(process.argv.slice(2));
  } catch (err) {
    if (!(err instanceof LocalError)) throw err;
    console.error(`load: ${err.message}\n\n${LOAD_USAGE}`);
    process.exit(2);
  }
  if (options === 'help') {
    console.log(LOAD_USAGE);
    return;
  }
  const via = options.proxy ? ` via ${options.proxy.origin}` : '';
  console.log(`load: ${options.method} ${options.url.href}${via}, ${options.rps} rps for ${options.durationS} s, at most ${options.concurrency} in flight`);
  const abort = new AbortController();
  process.once('SIGINT', () => abort.abort());
  process.once('SIGTERM', () => abort.abort());
  const started = performance.now();
  const summary = await runLoad(options, (w) => console.log(formatWindow(w)), abort.signal);
  const seconds = Math.max(1, (performance.now() - started) / 1000);
  console.log(formatWindow(summary, seconds));
  process.exitCode = summary.completed > 0 && summary.ok === summary.completed ? 0 : 1;
}

void main();
