import type { PodStat } from '@trellis/kpa';
import { SCRAPE_TIMEOUT_MS } from '@trellis/kpa';
import { Stat } from '@trellis/proto';
import { Agent, errors as undiciErrors, request, type Dispatcher } from 'undici';
import { AutoscalerError } from './errors';
import { parsePrometheusStat } from './prometheus-stat';

/** A stats answer is a few hundred bytes; anything beyond this is not a stats endpoint. */
export const MAX_SCRAPE_BODY_BYTES = 256 * 1024;
/** Connections kept per pod between scrapes (one scrape at a time per pod). */
const CONNECTIONS_PER_ORIGIN = 1;

export type ScrapeFn = (url: string) => Promise<PodStat>;

export interface ScrapeClient {
  scrape: ScrapeFn;
  close(): Promise<void>;
}

/**
 * Fetches one pod's Stat from its `/metrics` with `Accept: application/protobuf` (as Knative's autoscaler does);
 * a `text/plain` answer is read as the queue-proxy's Prometheus gauges. Fails with a typed AutoscalerError.
 */
export function createScrapeClient(options: { timeoutMs?: number } = {}): ScrapeClient {
  const timeoutMs = options.timeoutMs ?? SCRAPE_TIMEOUT_MS;
  const agent = new Agent({ connections: CONNECTIONS_PER_ORIGIN, headersTimeout: timeoutMs, bodyTimeout: timeoutMs, connectTimeout: timeoutMs });
  let closed = false;
  return {
    scrape: (url) => scrapeWith(agent, url, timeoutMs),
    async close() {
      if (closed) return;
      closed = true;
      await agent.close();
    },
  };
}

async function scrapeWith(dispatcher: Dispatcher, url: string, timeoutMs: number): Promise<PodStat> {
  let res: Dispatcher.ResponseData;
  try {
    res = await request(url, {
      dispatcher,
      headers: { accept: 'application/protobuf, text/plain;q=0.5' },
      signal: AbortSignal.timeout(timeoutMs),
    });
  } catch (err) {
    throw classify(err, url, timeoutMs);
  }
  if (res.statusCode !== 200) {
    await res.body.dump();
    throw new AutoscalerError('SCRAPE_HTTP_STATUS', `${url} answered ${res.statusCode}`);
  }
  const body = await readLimited(res, url, timeoutMs);
  const type = String(res.headers['content-type'] ?? '');
  if (type.includes('protobuf')) {
    try {
      return Stat.decode(body);
    } catch (err) {
      throw new AutoscalerError('SCRAPE_BAD_BODY', `${url} sent a Stat that does not decode`, { cause: err });
    }
  }
  const stat = parsePrometheusStat(body.toString('utf8'));
  if (stat === undefined) throw new AutoscalerError('SCRAPE_BAD_BODY', `${url} sent no queue_average_concurrent_requests gauge`);
  return stat;
}

async function readLimited(res: Dispatcher.ResponseData, url: string, timeoutMs: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  try {
    for await (const chunk of res.body) {
      size += (chunk as Buffer).length;
      if (size > MAX_SCRAPE_BODY_BYTES) {
        res.body.destroy();
        throw new AutoscalerError('SCRAPE_BAD_BODY', `${url} sent more than ${MAX_SCRAPE_BODY_BYTES} bytes`);
      }
      chunks.push(chunk as Buffer);
    }
  } catch (err) {
    throw classify(err, url, timeoutMs);
  }
  return Buffer.concat(chunks);
}

function classify(err: unknown, url: string, timeoutMs: number): AutoscalerError {
  if (err instanceof AutoscalerError) return err;
  const timedOut =
    err instanceof undiciErrors.HeadersTimeoutError ||
    err instanceof undiciErrors.BodyTimeoutError ||
    err instanceof undiciErrors.ConnectTimeoutError ||
    (err instanceof Error && (err.name === 'TimeoutError' || err.name === 'AbortError'));
  if (timedOut) return new AutoscalerError('SCRAPE_TIMEOUT', `${url} did not answer within ${timeoutMs} ms`, { cause: err });
  const reason = err instanceof Error ? err.message : String(err);
  return new AutoscalerError('SCRAPE_CONNECT', `${url} failed: ${reason}`, { cause: err });
}
