import { Server, ServerCredentials, status, type ServerWritableStream } from '@grpc/grpc-js';
import { inbound, type IPNetwork } from '@trellis/proto';

/** A test double of InboundServerPolicies: the test pushes Servers to every open WatchPort stream. */
export interface FakePolicyServer {
  readonly port: number;
  /** Every WatchPort request received, in order. */
  readonly watches: inbound.PortSpec[];
  /** Sends `server` on every open stream, and as the first message of later ones. */
  push(server: inbound.Server): void;
  /** Ends every open stream with UNAVAILABLE (the proxy reconnects). */
  dropStreams(): void;
  openStreams(): number;
  close(): Promise<void>;
}

export async function startFakePolicyServer(): Promise<FakePolicyServer> {
  const streams = new Set<ServerWritableStream<inbound.PortSpec, inbound.Server>>();
  const watches: inbound.PortSpec[] = [];
  let latest: inbound.Server | undefined;
  const server = new Server();
  server.addService(inbound.InboundServerPoliciesService, {
    getPort: (_call: unknown, callback: (err: { code: number } | null, value?: inbound.Server) => void) =>
      latest === undefined ? callback({ code: status.UNAVAILABLE }) : callback(null, latest),
    watchPort: (call: ServerWritableStream<inbound.PortSpec, inbound.Server>) => {
      watches.push(call.request);
      streams.add(call);
      call.on('cancelled', () => streams.delete(call));
      call.on('close', () => streams.delete(call));
      if (latest !== undefined) call.write(latest);
    },
  });
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync('127.0.0.1:0', ServerCredentials.createInsecure(), (err, p) => (err ? reject(err) : resolve(p))),
  );
  return {
    port,
    watches,
    push(s) {
      latest = s;
      for (const call of streams) call.write(s);
    },
    dropStreams() {
      // grpc-js turns an 'error' on a server stream into the call's final status.
      for (const call of streams) call.emit('error', Object.assign(new Error('dropped by the test'), { code: status.UNAVAILABLE }));
      streams.clear();
    },
    openStreams: () => streams.size,
    close: () =>
      new Promise<void>((resolve) => {
        for (const call of streams) call.end();
        server.tryShutdown(() => resolve());
      }),
  };
}

/** An IPv4 network for a Server, from `a.b.c.d` and a prefix length. */
export function ipv4Network(address: string, prefixLen: number): IPNetwork {
  const [a = 0, b = 0, c = 0, d = 0] = address.split('.').map(Number);
  return { ip: { ip: { $case: 'ipv4', value: ((a << 24) | (b << 16) | (c << 8) | d) >>> 0 } }, prefixLen };
}

type AuthnPermit = inbound.Authn['permit'];

/** A Server with one authorization (named `authz`) over `networks`; `permit` defaults to unauthenticated. */
export function serverPolicy(options: {
  name: string;
  networks: IPNetwork[];
  authz?: string;
  permit?: AuthnPermit;
  rateLimit?: inbound.HttpLocalRateLimit;
}): inbound.Server {
  return {
    protocol: { kind: { $case: 'http1', value: { routes: [] } } },
    serverIps: [],
    authorizations: [
      {
        networks: options.networks.map((net) => ({ net, except: [] })),
        authentication: { permit: options.permit ?? { $case: 'unauthenticated', value: {} } },
        labels: {},
        metadata: { kind: { $case: 'resource', value: { group: 'policy.linkerd.io', kind: 'AuthorizationPolicy', name: options.authz ?? 'authz', namespace: 'default', section: '', port: 0 } } },
      },
    ],
    labels: { group: 'policy.linkerd.io', kind: 'Server', name: options.name },
    httpLocalRateLimit: options.rateLimit,
  };
}
