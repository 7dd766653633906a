import { parseArgs } from 'node:util';
import { LocalError } from '../errors';

// Hard caps: the load tool is for a laptop running the local mesh, not a load-testing rig.
export const MAX_RPS = 20_000;
export const MAX_DURATION_S = 600;
export const MAX_CONCURRENCY = 2_000;
// Defaults: enough to see the autoscaler react (concurrency target 10 in examples/) without hogging the machine.
export const DEFAULT_RPS = 50;
export const DEFAULT_DURATION_S = 30;
export const DEFAULT_CONCURRENCY = 100;

export interface LoadOptions {
  url: URL;
  rps: number;
  durationS: number;
  concurrency: number;
  /** An HTTP proxy to send every request through (absolute-form, like curl -x). */
  proxy: URL | undefined;
  method: 'GET' | 'POST';
}

export const LOAD_USAGE = `usage: npm run load -- <url> [--rps N] [--duration S] [--concurrency C] [--proxy URL] [--method GET|POST]

Sends an open-loop load of N requests per second for S seconds (at most C in flight; requests that would
exceed C are counted as "shed", not queued) and prints, each second, the rate, success and latency
percentiles, then a summary. For local use: point it at the local mesh, e.g.
  npm run load -- http://hello.demo.svc.cluster.local/hello --proxy http://127.0.0.1:4140 --rps 200 --duration 60

  --rps N           requests per second, 1-${MAX_RPS} (default ${DEFAULT_RPS})
  --duration S      seconds, 1-${MAX_DURATION_S} (default ${DEFAULT_DURATION_S})
  --concurrency C   most requests in flight, 1-${MAX_CONCURRENCY} (default ${DEFAULT_CONCURRENCY})
  --proxy URL       send through this HTTP proxy (the outbound Trellis proxy is http://127.0.0.1:4140)
  --method M        GET (default) or POST (with a small JSON body)
  --help            this text`;

function integer(flag: string, raw: string | undefined, fallback: number, max: number): number {
  if (raw === undefined) return fallback;
  if (!/^\d+$/.test(raw) || Number(raw) < 1 || Number(raw) > max) {
    throw new LocalError('LOCAL_BAD_FLAG', `--${flag} must be an integer from 1 to ${max}, got "${raw}"`);
  }
  return Number(raw);
}

function httpUrl(what: string, raw: string): URL {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new LocalError('LOCAL_BAD_FLAG', `${what} must be a URL like http://host/path, got "${raw}"`);
  }
  if (url.protocol !== 'http:') throw new LocalError('LOCAL_BAD_FLAG', `${what} must be an http:// URL, got "${raw}"`);
  return url;
}

/** Parses the load tool's arguments; returns 'help' for --help; throws LocalError (LOCAL_BAD_FLAG) otherwise. */
export function parseLoadArgs(argv: string[]): LoadOptions | 'help' {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      strict: true,
      options: {
        rps: { type: 'string' },
        duration: { type: 'string' },
        concurrency: { type: 'string' },
        proxy: { type: 'string' },
        method: { type: 'string' },
        help: { type: 'boolean' },
      },
    });
  } catch (err) {
    // Node's message goes on about positionals after `--`; its first sentence is the point.
    throw new LocalError('LOCAL_BAD_FLAG', (err as Error).message.split('. ')[0] ?? String(err));
  }
  const { values, positionals } = parsed;
  if (values.help) return 'help';
  if (positionals.length !== 1 || positionals[0] === undefined) {
    throw new LocalError('LOCAL_BAD_FLAG', `expected exactly one URL, got ${positionals.length === 0 ? 'none' : positionals.join(' ')}`);
  }
  const method = (values.method ?? 'GET').toUpperCase();
  if (method !== 'GET' && method !== 'POST') throw new LocalError('LOCAL_BAD_FLAG', `--method must be GET or POST, got "${values.method}"`);
  return {
    url: httpUrl('the target', positionals[0]),
    rps: integer('rps', values.rps, DEFAULT_RPS, MAX_RPS),
    durationS: integer('duration', values.duration, DEFAULT_DURATION_S, MAX_DURATION_S),
    concurrency: integer('concurrency', values.concurrency, DEFAULT_CONCURRENCY, MAX_CONCURRENCY),
    proxy: values.proxy === undefined ? undefined : httpUrl('--proxy', values.proxy),
    method,
  };
}
