// How long requests stay in a proxy process, timed at its sockets through Node's `net` diagnostics channels, so the
// proxy's code is untouched (benchmarks load it with --import, or call it in-process). For a request on an accepted
// connection: from the read that starts it to the first write of its answer (the whole answer when it fits one
// write, as small answers do). For a dialled connection: from a write to the next read, the wait on the backend.
// With one request in flight at a time (c=1), the difference of the two is the proxy's own time. A client's latency
// above these is spent outside the process: in the kernel, or waiting for a CPU.
import diagnostics from 'node:diagnostics_channel';
import type { Socket } from 'node:net';
import { createHistogram, performance, type RecordableHistogram } from 'node:perf_hooks';

/** Percentiles in ms. */
export interface LatencyPercentiles {
  readonly p50: number;
  readonly p90: number;
  readonly p99: number;
  readonly p999: number;
}

export interface TimeInProxySummary {
  /** Requests answered on accepted connections. */
  readonly requests: number;
  /** Read to first write on accepted connections. */
  readonly inProxy?: LatencyPercentiles;
  /** Write to next read on dialled connections. */
  readonly upstream?: LatencyPercentiles;
  /** In-proxy minus upstream, for the requests that had the process to themselves. */
  readonly own?: LatencyPercentiles;
}

export interface TimeInProxyFilter {
  /** Only connections accepted on this port (default: every accepted connection). */
  readonly listenPort?: number;
  /** Only connections dialled to this port (default: every dialled connection). */
  readonly backendPort?: number;
}

export interface TimeInProxy {
  summary(): TimeInProxySummary;
  /** Forgets what was recorded so far (after a warm-up, between measurements). */
  reset(): void;
  /** Idempotent: stops timing new connections. */
  stop(): void;
}

const micros = (ms: number) => Math.max(1, Math.round(ms * 1000));

function percentiles(h: RecordableHistogram): LatencyPercentiles | undefined {
  if (h.count === 0) return undefined;
  const ms = (p: number) => h.percentile(p) / 1000;
  return { p50: ms(50), p90: ms(90), p99: ms(99), p999: ms(99.9) };
}

/** Wraps `socket.write` so `onWrite` runs before each write. */
function beforeWrites(socket: Socket, onWrite: () => void): void {
  const write = socket.write;
  socket.write = function (this: Socket, ...args: Parameters<Socket['write']>) {
    onWrite();
    return write.apply(this, args);
  } as Socket['write'];
}

export function timeInProxy(filter: TimeInProxyFilter = {}): TimeInProxy {
  const inProxy = createHistogram();
  const upstream = createHistogram();
  const own = createHistogram();
  let inFlight = 0;
  let upstreamMs = 0;

  const onAccepted = (message: unknown) => {
    const { socket } = message as { socket: Socket };
    if (filter.listenPort !== undefined && socket.localPort !== filter.listenPort) return;
    let startedAt: number | undefined;
    socket.prependListener('data', () => {
      if (startedAt !== undefined) return;
      startedAt = performance.now();
      inFlight++;
      if (inFlight === 1) upstreamMs = 0;
    });
    // A client that stops mid-request (wrk at the end of its run) leaves nothing in flight.
    socket.once('close', () => {
      if (startedAt !== undefined) inFlight--;
    });
    beforeWrites(socket, () => {
      if (startedAt === undefined) return;
      const ms = performance.now() - startedAt;
      inProxy.record(micros(ms));
      if (inFlight === 1) own.record(micros(ms - upstreamMs));
      inFlight--;
      startedAt = undefined;
    });
  };

  const onDialled = (message: unknown) => {
    const { socket } = message as { socket: Socket };
    let sentAt: number | undefined;
    // net.Socket#connect puts the prototype's write back on the socket, so the wrapper goes on once connected.
    socket.once('connect', () => {
      if (filter.backendPort !== undefined && socket.remotePort !== filter.backendPort) return;
      beforeWrites(socket, () => {
        sentAt ??= performance.now();
      });
    });
    socket.prependListener('data', () => {
      if (sentAt === undefined) return;
      const ms = performance.now() - sentAt;
      upstream.record(micros(ms));
      upstreamMs += ms;
      sentAt = undefined;
    });
  };

  diagnostics.subscribe('net.server.socket', onAccepted);
  diagnostics.subscribe('net.client.socket', onDialled);
  let stopped = false;
  return {
    summary: () => ({ requests: inProxy.count, inProxy: percentiles(inProxy), upstream: percentiles(upstream), own: percentiles(own) }),
    reset() {
      inProxy.reset();
      upstream.reset();
      own.reset();
    },
    stop() {
      if (stopped) return;
      stopped = true;
      diagnostics.unsubscribe('net.server.socket', onAccepted);
      diagnostics.unsubscribe('net.client.socket', onDialled);
    },
  };
}

/** `p50 0.081 / p90 … / p99.9 … ms`, or `no samples`. */
export function formatPercentiles(p: LatencyPercentiles | undefined): string {
  if (p === undefined) return 'no samples';
  return `p50 ${p.p50.toFixed(3)} / p90 ${p.p90.toFixed(3)} / p99 ${p.p99.toFixed(3)} / p99.9 ${p.p999.toFixed(3)} ms`;
}
