// The demo workload of local mode (and of the `demo` image): an HTTP service (DEMO_PROTOCOL=http, the
// default) or a gRPC greeter (DEMO_PROTOCOL=grpc) on HOST:PORT that says which replica answered.
import { Server as GrpcServer, ServerCredentials } from '@grpc/grpc-js';
import { readDemoConfig } from './demo/demo-config';
import type { DemoConfig } from './demo/demo-config';
import { greeterDefinition, greeterImplementation } from './demo/greeter-grpc';
import { createDemoHttpServer } from './demo/http-app';
import { upstreamClient } from './demo/upstream-client';

// After SIGTERM, open connections get this long to finish before they are cut (well inside the
// runner's termination grace).
const SHUTDOWN_GRACE_MS = 2_000;

const USAGE = `usage: node dist/tools/local/demo-app.js

The demo workload of local mode and of the demo image, configured by environment only:
  HOST             address to listen on (default 127.0.0.1)
  PORT             port (default 8080)
  DEMO_PROTOCOL    http (GET /hello, /echo, /slow?ms=N, /fail?rate=R) or grpc (demo.Greeter/SayHello)
  TRELLIS_REPLICA  the name it answers with (default hostname-pid)
  DEMO_VERSION     the version it answers with (default v1)
  DEMO_UPSTREAM    an http:// URL (e.g. http://hello.demo.svc.cluster.local/hello): GET /call fetches it through
                   @trellis/client, balanced in the app (destination at TRELLIS_DESTINATION_ADDR, default 127.0.0.1:8086)`;

/** --help prints the usage; any other argument is refused (everything is set by environment). */
function checkArguments(argv: readonly string[]): void {
  if (argv.length === 0) return;
  if (argv.length === 1 && (argv[0] === '--help' || argv[0] === '-h')) {
    console.log(USAGE);
    process.exit(0);
  }
  console.error(`demo-app: unexpected argument ${argv[0]} (it is configured by environment; see demo-app --help)`);
  process.exit(2);
}

function fail(message: string): never {
  console.error(`demo-app: ${message}`);
  process.exit(1);
}

async function serveHttp(config: DemoConfig): Promise<() => Promise<void>> {
  const upstream = config.upstream === undefined ? undefined : upstreamClient(config.upstream, process.env['TRELLIS_DESTINATION_ADDR']);
  const server = createDemoHttpServer({ ...config, random: Math.random, ...(upstream === undefined ? {} : { callUpstream: upstream.call }) });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(config.port, config.host, () => resolve());
  });
  return async () => {
    await new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeIdleConnections();
      setTimeout(() => server.closeAllConnections(), SHUTDOWN_GRACE_MS).unref();
    });
    await upstream?.close();
  };
}

async function serveGrpc(config: DemoConfig): Promise<() => Promise<void>> {
  const server = new GrpcServer();
  server.addService(greeterDefinition, greeterImplementation(config));
  await new Promise<void>((resolve, reject) => {
    server.bindAsync(`${config.host}:${config.port}`, ServerCredentials.createInsecure(), (err) => (err ? reject(err) : resolve()));
  });
  return () =>
    new Promise<void>((resolve) => {
      const force = setTimeout(() => server.forceShutdown(), SHUTDOWN_GRACE_MS);
      force.unref();
      server.tryShutdown(() => {
        clearTimeout(force);
        resolve();
      });
    });
}

async function main(): Promise<void> {
  checkArguments(process.argv.slice(2));
  let config: DemoConfig;
  try {
    config = readDemoConfig(process.env);
  } catch (err) {
    fail((err as Error).message);
  }
  const stop = await (config.protocol === 'grpc' ? serveGrpc(config) : serveHttp(config)).catch((err: Error) =>
    fail(`cannot listen on ${config.host}:${config.port}: ${err.message}`),
  );
  console.log(`demo-app ${config.replica} (${config.version}) serving ${config.protocol} on ${config.host}:${config.port}`);
  let stopping = false;
  const shutdown = () => {
    if (stopping) return;
    stopping = true;
    void stop().then(() => process.exit(0));
  };
  process.on('SIGTERM', shutdown);
  process.on('SIGINT', shutdown);
}

void main();
