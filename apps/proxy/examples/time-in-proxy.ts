// How long requests stay in this process, timed at its sockets through Node's `net` diagnostics channels, so the
// proxy's code is untouched. For a request on an accepted connection: from the read that starts it to the first
// write of its answer (the whole answer when it fits one write, as the probe's 100-byte answers do). For an upstream
// connection: from a write to the next read, the wait on the backend. With one request in flight at a time (c=1),
// the difference of the two is the proxy's own time. A client's latency above these is spent outside the process:
// in the kernel, or waiting for the CPU.
import diagnostics from 'node:diagnostics_channel';
import type { Socket } from 'node:net';
import { createHistogram, performance, type RecordableHistogram } from 'node:perf_hooks';

export interface TimeInProxy {
  /** Read to first write on accepted connections, µs. */
  readonly inProxy: RecordableHistogram;
  /** Write to next read on upstream connections, µs. */
  readonly upstream: RecordableHistogram;
  /** In-proxy minus upstream, for requests that had the process to themselves, µs. */
  readonly own: RecordableHistogram;
  /** Forgets what was recorded so far (after a warm-up). */
  reset(): void;
  stop(): void;
}

const micros = (ms: number) => Math.max(1, Math.round(ms * 1000));

/** Times the connections accepted on `listenPort` and those dialled to `backendPort`; nothing else in the process. */
export function timeInProxy(listenPort: number, backendPort: number): TimeInProxy {
  const inProxy = createHistogram();
  const upstream = createHistogram();
  const own = createHistogram();
  let inFlight = 0;
  let upstreamMs = 0;

  const onAccepted = ({ socket }: { socket: Socket }) => {
    if (socket.localPort !== listenPort) return;
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
    const write = socket.write;
    socket.write = function (this: Socket, ...args: Parameters<Socket['write']>) {
      if (startedAt !== undefined) {
        const ms = performance.now() - startedAt;
        inProxy.record(micros(ms));
        if (inFlight === 1) own.record(micros(ms - upstreamMs));
        inFlight--;
        startedAt = undefined;
      }
      return write.apply(this, args);
    } as Socket['write'];
  };

  const onDialled = ({ socket }: { socket: Socket }) => {
    let sentAt: number | undefined;
    // net.Socket#connect puts the prototype's write back on the socket, so the wrapper goes on once connected.
    socket.once('connect', () => {
      if (socket.remotePort !== backendPort) return;
      const write = socket.write;
      socket.write = function (this: Socket, ...args: Parameters<Socket['write']>) {
        sentAt ??= performance.now();
        return write.apply(this, args);
      } as Socket['write'];
    });
    socket.prependListener('data', () => {
      if (sentAt === undefined) return;
      const ms = performance.now() - sentAt;
      upstream.record(micros(ms));
      upstreamMs += ms;
      sentAt = undefined;
    });
  };

  diagnostics.subscribe('net.server.socket', onAccepted as (message: unknown) => void);
  diagnostics.subscribe('net.client.socket', onDialled as (message: unknown) => void);
  return {
    inProxy,
    upstream,
    own,
    reset() {
      inProxy.reset();
      upstream.reset();
      own.reset();
    },
    stop() {
      diagnostics.unsubscribe('net.server.socket', onAccepted as (message: unknown) => void);
      diagnostics.unsubscribe('net.client.socket', onDialled as (message: unknown) => void);
    },
  };
}

const PERCENTILES = [50, 90, 99, 99.9] as const;

/** `p50 0.081 / p90 … ms` from a histogram of µs. */
export function percentilesMs(h: RecordableHistogram): string {
  if (h.count === 0) return 'no samples';
  return PERCENTILES.map((p) => `p${p} ${(h.percentile(p) / 1000).toFixed(3)}`).join(' / ') + ' ms';
}
