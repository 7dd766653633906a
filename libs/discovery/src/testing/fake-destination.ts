import { Server, ServerCredentials, status, type ServerWritableStream } from '@grpc/grpc-js';
import {
  DestinationService,
  type DestinationProfile,
  type GetDestination,
  type TcpAddress,
  type Update,
} from '@trellis/proto';

/** A test double of the destination service: endpoints and profiles set by the test, pushed live. */
export interface FakeEndpoint {
  host: string;
  port: number;
  labels?: Record<string, string>;
  /** The endpoint's workload identity, sent as `tls_identity`. */
  identity?: string;
}

export interface FakeDestination {
  readonly port: number;
  /** Replaces a service's endpoints (`null`: the service does not exist) and pushes the diff. */
  setEndpoints(authority: string, endpoints: FakeEndpoint[] | null): void;
  setProfile(authority: string, profile: Partial<DestinationProfile>): void;
  /** Rejects Get and GetProfile for this authority with INVALID_ARGUMENT. */
  reject(authority: string): void;
  /** Delays the first message of new streams (to test first-message timeouts). */
  silence(on: boolean): void;
  getCalls(): number;
  openStreams(): number;
  /** Kills the server, cutting every stream. */
  kill(): Promise<void>;
  /** Starts again on the same port. */
  restart(): Promise<void>;
  close(): Promise<void>;
}

function tcp(e: FakeEndpoint): TcpAddress {
  const [a = 0, b = 0, c = 0, d = 0] = e.host.split('.').map(Number);
  return { ip: { ip: { $case: 'ipv4', value: ((a << 24) | (b << 16) | (c << 8) | d) >>> 0 } }, port: e.port };
}

function key(e: FakeEndpoint): string {
  return `${e.host}:${e.port}`;
}

function addUpdate(endpoints: FakeEndpoint[]): Update {
  return {
    update: {
      $case: 'add',
      value: {
        addrs: endpoints.map((e) => ({
          addr: tcp(e),
          weight: 10_000,
          metricLabels: e.labels ?? {},
          ...(e.identity === undefined
            ? {}
            : { tlsIdentity: { strategy: { $case: 'dnsLikeIdentity' as const, value: { name: e.identity } }, serverName: { name: e.identity } } }),
        })),
        metricLabels: { namespace: 'demo', service: 'fake' },
      },
    },
  };
}

function emptyProfile(authority: string): DestinationProfile {
  return { fullyQualifiedName: authority.split(':')[0] ?? '', opaqueProtocol: false, routes: [], dstOverrides: [] };
}

export async function startFakeDestination(): Promise<FakeDestination> {
  const endpoints = new Map<string, FakeEndpoint[] | null>();
  const profiles = new Map<string, DestinationProfile>();
  const rejected = new Set<string>();
  const getStreams = new Map<ServerWritableStream<GetDestination, Update>, Map<string, FakeEndpoint>>();
  const profileStreams = new Set<ServerWritableStream<GetDestination, DestinationProfile>>();
  let silent = false;
  let calls = 0;
  let server: Server | undefined;
  let port = 0;

  function first(call: ServerWritableStream<GetDestination, Update>): void {
    const list = endpoints.get(call.request.path);
    const sent = new Map<string, FakeEndpoint>();
    if (list === undefined || list === null) call.write({ update: { $case: 'noEndpoints', value: { exists: false } } });
    else if (list.length === 0) call.write({ update: { $case: 'noEndpoints', value: { exists: true } } });
    else {
      call.write(addUpdate(list));
      for (const e of list) sent.set(key(e), e);
    }
    getStreams.set(call, sent);
  }

  const impl = {
    get(call: ServerWritableStream<GetDestination, Update>) {
      calls += 1;
      if (rejected.has(call.request.path)) {
        call.emit('error', { code: status.INVALID_ARGUMENT, details: 'invalid authority' });
        return;
      }
      call.on('cancelled', () => getStreams.delete(call));
      call.on('close', () => getStreams.delete(call));
      if (silent) {
        getStreams.set(call, new Map());
        return;
      }
      first(call);
    },
    getProfile(call: ServerWritableStream<GetDestination, DestinationProfile>) {
      if (rejected.has(call.request.path)) {
        call.emit('error', { code: status.INVALID_ARGUMENT, details: 'invalid authority' });
        return;
      }
      profileStreams.add(call);
      call.on('cancelled', () => profileStreams.delete(call));
      call.on('close', () => profileStreams.delete(call));
      if (!silent) call.write(profiles.get(call.request.path) ?? emptyProfile(call.request.path));
    },
  };

  async function start(): Promise<void> {
    const s = new Server();
    s.addService(DestinationService, impl);
    port = await new Promise<number>((resolve, reject) =>
      s.bindAsync(`127.0.0.1:${port}`, ServerCredentials.createInsecure(), (err, p) => (err ? reject(err) : resolve(p))),
    );
    server = s;
  }

  async function kill(): Promise<void> {
    server?.forceShutdown();
    server = undefined;
    getStreams.clear();
    profileStreams.clear();
  }

  await start();
  return {
    get port() {
      return port;
    },
    setEndpoints(authority, list) {
      endpoints.set(authority, list);
      for (const [call, sent] of getStreams) {
        if (call.request.path !== authority) continue;
        if (list === null) {
          sent.clear();
          call.write({ update: { $case: 'noEndpoints', value: { exists: false } } });
          continue;
        }
        const next = new Map(list.map((e) => [key(e), e]));
        const removed = [...sent.values()].filter((e) => !next.has(key(e)));
        const added = list.filter((e) => !sent.has(key(e)));
        if (added.length > 0) call.write(addUpdate(added));
        if (removed.length > 0) call.write({ update: { $case: 'remove', value: { addrs: removed.map(tcp) } } });
        if (list.length === 0) call.write({ update: { $case: 'noEndpoints', value: { exists: true } } });
        sent.clear();
        for (const [k, e] of next) sent.set(k, e);
      }
    },
    setProfile(authority, profile) {
      const full = { ...emptyProfile(authority), ...profile };
      profiles.set(authority, full);
      for (const call of profileStreams) if (call.request.path === authority) call.write(full);
    },
    reject(authority) {
      rejected.add(authority);
    },
    silence(on) {
      silent = on;
    },
    getCalls: () => calls,
    openStreams: () => getStreams.size,
    kill,
    restart: start,
    close: kill,
  };
}
