import http2 from 'node:http2';
import type { ClientReadableStream, ServiceError } from '@grpc/grpc-js';
import { credentials } from '@grpc/grpc-js';
import type { Source } from '@trellis/kube';
import type { DestinationProfile, OutboundPolicy, TrafficSpec, Update } from '@trellis/proto';
import { DestinationClient, OutboundPoliciesClient, inbound } from '@trellis/proto';
import { pino } from 'pino';
import type { RunningDestination } from '../destination';
import { startDestination } from '../destination';

// How long a test waits for one message before failing (well inside vitest's 30 s timeout).
export const MESSAGE_TIMEOUT_MS = 10_000;

/** Collects a server stream's messages and its final status, with bounded waits. */
export class StreamRecorder<T> {
  readonly messages: T[] = [];
  error: ServiceError | undefined;
  ended = false;
  private waiters: (() => void)[] = [];

  constructor(readonly call: ClientReadableStream<T>) {
    call.on('data', (m: T) => {
      this.messages.push(m);
      this.wake();
    });
    call.on('error', (err: ServiceError) => {
      this.error = err;
      this.wake();
    });
    call.on('end', () => {
      this.ended = true;
      this.wake();
    });
  }

  /** Waits until at least `count` messages arrived; returns the `count`-th (1-based). */
  async nth(count: number): Promise<T> {
    await this.until(() => this.messages.length >= count, `message #${count}`);
    return this.messages[count - 1] as T;
  }

  async closed(): Promise<ServiceError | undefined> {
    await this.until(() => this.error !== undefined || this.ended, 'the stream to end');
    return this.error;
  }

  cancel(): void {
    this.call.on('error', () => undefined);
    this.call.cancel();
  }

  private wake(): void {
    for (const w of this.waiters.splice(0)) w();
  }

  private until(done: () => boolean, what: string): Promise<void> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`timed out waiting for ${what}; got ${this.messages.length} messages`)), MESSAGE_TIMEOUT_MS);
      const check = () => {
        if (done()) {
          clearTimeout(timer);
          resolve();
        } else if (this.error || this.ended) {
          clearTimeout(timer);
          reject(new Error(`stream ended while waiting for ${what}: ${this.error?.message ?? 'end'}`));
        } else {
          this.waiters.push(check);
        }
      };
      check();
    });
  }
}

export interface Harness {
  destination: RunningDestination;
  client: DestinationClient;
  get(path: string, contextToken?: string): StreamRecorder<Update>;
  profile(path: string, contextToken?: string): StreamRecorder<DestinationProfile>;
  /** OutboundPolicies.Watch for an authority, as a client in `clientNamespace` (Linkerd's JSON token). */
  watchPolicy(authority: string, clientNamespace?: string): StreamRecorder<OutboundPolicy>;
  /** OutboundPolicies.Get for any TrafficSpec. */
  getPolicy(spec: TrafficSpec): Promise<OutboundPolicy>;
  /** InboundServerPolicies.WatchPort and GetPort for a pod port (Linkerd's JSON workload). */
  watchPort(namespace: string, pod: string, port: number): StreamRecorder<inbound.Server>;
  getPort(namespace: string, pod: string, port: number): Promise<inbound.Server>;
  metrics(): Promise<string>;
  admin(path: string): Promise<Response>;
  close(): Promise<void>;
}

/** The real server on loopback ephemeral ports with a real grpc-js client. */
export async function startHarness(source: Source, options: { streamQueueLimit?: number; writeRouteStatus?: boolean } = {}): Promise<Harness> {
  const destination = await startDestination({
    source,
    logger: pino({ level: 'silent' }),
    host: '127.0.0.1',
    grpcPort: 0,
    policyPort: 0,
    adminPort: 0,
    clusterDomain: 'cluster.local',
    streamQueueLimit: options.streamQueueLimit ?? 100,
    writeRouteStatus: options.writeRouteStatus ?? false,
  });
  const client = new DestinationClient(`127.0.0.1:${destination.grpcPort}`, credentials.createInsecure());
  const policyClient = new OutboundPoliciesClient(`127.0.0.1:${destination.policyPort}`, credentials.createInsecure());
  const inboundClient = new inbound.InboundServerPoliciesClient(`127.0.0.1:${destination.policyPort}`, credentials.createInsecure());
  const portSpec = (namespace: string, pod: string, port: number) => ({ workload: JSON.stringify({ ns: namespace, pod }), port });
  const recorders: StreamRecorder<unknown>[] = [];
  const track = <T>(r: StreamRecorder<T>) => {
    recorders.push(r as StreamRecorder<unknown>);
    return r;
  };
  const admin = (path: string) => fetch(`http://127.0.0.1:${destination.adminPort}${path}`);
  return {
    destination,
    client,
    get: (path, contextToken = '') => track(new StreamRecorder(client.get({ scheme: 'http', path, contextToken }))),
    profile: (path, contextToken = '') => track(new StreamRecorder(client.getProfile({ scheme: 'http', path, contextToken }))),
    watchPolicy: (authority, clientNamespace) =>
      track(new StreamRecorder(policyClient.watch(trafficSpec(authority, clientNamespace)))),
    getPolicy: (spec) =>
      new Promise((resolve, reject) => {
        policyClient.get(spec, (err, policy) => (err ? reject(err) : resolve(policy)));
      }),
    watchPort: (namespace, pod, port) => track(new StreamRecorder(inboundClient.watchPort(portSpec(namespace, pod, port)))),
    getPort: (namespace, pod, port) =>
      new Promise((resolve, reject) => {
        inboundClient.getPort(portSpec(namespace, pod, port), (err, server) => (err ? reject(err) : resolve(server)));
      }),
    metrics: async () => (await admin('/metrics')).text(),
    admin,
    close: async () => {
      for (const r of recorders) if (!r.ended && !r.error) r.cancel();
      client.close();
      policyClient.close();
      inboundClient.close();
      await destination.close();
    },
  };
}

export function trafficSpec(authority: string, clientNamespace?: string): TrafficSpec {
  const sourceWorkload = clientNamespace ? JSON.stringify({ ns: clientNamespace, pod: `${clientNamespace}-client-0` }) : '';
  return { sourceWorkload, target: { $case: 'authority', value: authority } };
}

/** The value of one sample in Prometheus text, e.g. metricValue(text, 'x_total{a="b"}'); 0 when absent. */
export function metricValue(text: string, series: string): number {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line ? Number(line.slice(series.length + 1)) : 0;
}

/** `ip:port` strings of an Update's addresses (IPv4 only), sorted, for readable assertions. */
export function addrsOf(update: Update | undefined): string[] {
  const u = update?.update;
  if (!u || u.$case === 'noEndpoints') return [];
  const tcp = u.$case === 'add' ? u.value.addrs.map((a) => a.addr) : u.value.addrs;
  return tcp
    .map((a) => {
      const ip = a?.ip?.ip;
      if (ip?.$case !== 'ipv4') return `?:${a?.port}`;
      const v = ip.value;
      return `${v >>> 24}.${(v >>> 16) & 255}.${(v >>> 8) & 255}.${v & 255}:${a?.port}`;
    })
    .sort();
}

/**
 * A gRPC call over a raw HTTP/2 stream that does not read its response until `resume()`: the
 * client that stops reading, which grpc-js's own client (it buffers eagerly) cannot play.
 */
export function stalledCall(port: number, method: string, request: Uint8Array, service = 'io.linkerd.proxy.destination.Destination') {
  const session = http2.connect(`http://127.0.0.1:${port}`);
  session.on('error', () => undefined);
  const stream = session.request({
    ':method': 'POST',
    ':path': `/${service}/${method}`,
    'content-type': 'application/grpc',
    te: 'trailers',
  });
  stream.on('error', () => undefined);
  const frame = Buffer.alloc(5 + request.length);
  frame.writeUInt32BE(request.length, 1);
  frame.set(request, 5);
  stream.end(frame);
  stream.pause();
  const trailers = new Promise<http2.IncomingHttpHeaders>((resolve) => stream.on('trailers', (headers) => resolve(headers)));
  return {
    /** Starts reading; resolves with the trailers (grpc-status, grpc-message) once the server ends the call. */
    resume: () => {
      stream.on('data', () => undefined);
      stream.resume();
      return trailers;
    },
    close: () => {
      stream.close();
      session.close();
    },
  };
}
