import type { PodStat } from '@trellis/kpa';
import { SCRAPE_TIMEOUT_MS } from '@trellis/kpa';
import { Stat } from '@trellis/proto';
import { Agent, errors as undiciErrors, type Dispatcher } from 'undici';
import { AutoscalerError } from './errors';
import { parsePrometheusStat } from './prometheus-stat';

/** A stats answer is a few hundred bytes; anything beyond this is not a stats endpoint. */
export const MAX_SCRAPE_BODY_BYTES = 256 * 1024;
/** Connections kept per pod between scrapes (one scrape at a time per pod). */
const CONNECTIONS_PER_ORIGIN = 1;
const ACCEPT = { accept: 'application/protobuf, text/plain;q=0.5' };

export type ScrapeFn = (url: string) => Promise<PodStat>;

export interface ScrapeClient {
  scrape: ScrapeFn;
  close(): Promise<void>;
}

/**
 * Fetches one pod's Stat from its `/metrics` with `Accept: application/protobuf` (as Knative's autoscaler does);
 * a `text/plain` answer is read as the queue-proxy's Prometheus gauges. Fails with a typed AutoscalerError.
 *
 * It runs once per pod per second for every target, so it uses undici's dispatch with a small (callback-style) handler that
 * collects the body itself (no stream objects), and undici's own phase timers (connect, headers, body idle) as the
 * timeout instead of a per-request AbortSignal; a stats answer is one small chunk, so the phases add up to about
 * one timeout.
 */
export function createScrapeClient(options: { timeoutMs?: number } = {}): ScrapeClient {
  const timeoutMs = options.timeoutMs ?? SCRAPE_TIMEOUT_MS;
  const agent = new Agent({
    connections: CONNECTIONS_PER_ORIGIN,
    headersTimeout: timeoutMs,
    bodyTimeout: timeoutMs,
    connectTimeout: timeoutMs,
  });
  let closed = false;
  return {
    scrape: async (url) => decode(url, await fetchBody(agent, url, timeoutMs)),
    async close() {
      if (closed) return;
      closed = true;
      await agent.close();
    },
  };
}

interface Answer {
  contentType: string;
  body: Buffer;
}

function fetchBody(dispatcher: Dispatcher, url: string, timeoutMs: number): Promise<Answer> {
  return new Promise((resolve, reject) => {
    let parsed: URL;
    try {
      parsed = new URL(url);
    } catch (err) {
      reject(new AutoscalerError('SCRAPE_CONNECT', `${url} is not a URL`, { cause: err }));
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    let status = 0;
    let contentType = '';
    dispatcher.dispatch(
      { origin: parsed.origin, path: parsed.pathname + parsed.search, method: 'GET', headers: ACCEPT },
      {
        onConnect() {},
        onHeaders(statusCode, rawHeaders) {
          status = statusCode;
          contentType = headerValue(rawHeaders, 'content-type');
          return true;
        },
        onData(chunk) {
          size += chunk.length;
          if (size > MAX_SCRAPE_BODY_BYTES) throw new AutoscalerError('SCRAPE_BAD_BODY', `${url} sent more than ${MAX_SCRAPE_BODY_BYTES} bytes`);
          if (status === 200) chunks.push(chunk);
          return true;
        },
        onComplete() {
          if (status !== 200) reject(new AutoscalerError('SCRAPE_HTTP_STATUS', `${url} answered ${status}`));
          else resolve({ contentType, body: chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks) });
        },
        onError(err) {
          reject(classify(err, url, timeoutMs));
        },
      },
    );
  });
}

/** undici's raw headers alternate name and value. */
function headerValue(raw: Buffer[] | string[] | null, name: string): string {
  if (raw === null) return '';
  for (let i = 0; i + 1 < raw.length; i += 2) {
    if (String(raw[i]).toLowerCase() === name) return String(raw[i + 1]);
  }
  return '';
}

function decode(url: string, answer: Answer): PodStat {
  if (answer.contentType.includes('protobuf')) {
    try {
      return Stat.decode(answer.body);
    } catch (err) {
      throw new AutoscalerError('SCRAPE_BAD_BODY', `${url} sent a Stat that does not decode`, { cause: err });
    }
  }
  const stat = parsePrometheusStat(answer.body.toString('utf8'));
  if (stat === undefined) throw new AutoscalerError('SCRAPE_BAD_BODY', `${url} sent no queue_average_concurrent_requests gauge`);
  return stat;
}

function classify(err: unknown, url: string, timeoutMs: number): AutoscalerError {
  if (err instanceof AutoscalerError) return err;
  const timedOut =
    err instanceof undiciErrors.HeadersTimeoutError || err instanceof undiciErrors.BodyTimeoutError || err instanceof undiciErrors.ConnectTimeoutError;
  if (timedOut) return new AutoscalerError('SCRAPE_TIMEOUT', `${url} did not answer within ${timeoutMs} ms`, { cause: err });
  const reason = err instanceof Error ? err.message : String(err);
  return new AutoscalerError('SCRAPE_CONNECT', `${url} failed: ${reason}`, { cause: err });
}
