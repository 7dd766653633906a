import { credentials } from '@grpc/grpc-js';
import type { Server as NetServer } from 'node:net';
import { DestinationClient, OutboundPoliciesClient } from '@trellis/proto';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import type { Env } from '../config/env';
import { readAccessLog } from '../config/inbound-policy-config';
import { Discovery, FIRST_MESSAGE_TIMEOUT_MS } from '@trellis/discovery';
import type { MeshTls } from '../identity/mesh-tls';
import type { OverloadGuard } from '../process/overload-manager';
import type { BackendDescription } from './backend';
import { createPoke } from './autoscaler-poke';
import { loadOutboundConfig } from './config';
import { startListener } from './listener';
import { OutboundMetrics } from './metrics';
import { PolicyDiscovery } from './policy-client';
import { createOutboundStack } from './stack';

export { OUTBOUND_ENV, loadOutboundConfig, type OutboundConfig } from './config';

export interface Outbound {
  /** Where the listener is bound; undefined when the outbound role is off. */
  address: { host: string; port: number } | undefined;
  /** The listening server (none when the role is off), for the overload manager's connection guard. */
  listeners: readonly NetServer[];
  /** Discovery streams and backends, for the admin introspection pages. */
  describe(): OutboundDescription;
  /** Hot restart: the listener hands its connections off gracefully (listener.ts), then `close()`. Idempotent. */
  handOff(): Promise<void>;
  close(): Promise<void>;
}

export interface OutboundDescription {
  readonly discovery: readonly { kind: string; authority: string; state: string }[];
  readonly backends: readonly BackendDescription[];
}

/**
 * The outbound role, composed top to bottom: config -> destination and policy clients -> discovery and policy streams
 * -> service cache (profiles, backends, balancers, pools) -> request path -> listener.
 * Throws ConfigError on a bad setting.
 */
export async function startOutbound(opts: {
  env: Env;
  registry: Registry;
  logger: Logger;
  meshTls?: MeshTls;
  /** Where access-log lines go when TRELLIS_ACCESS_LOG is on (default stdout). */
  writeAccessLog?: (line: string) => void;
  overload?: OverloadGuard;
}): Promise<Outbound> {
  const config = loadOutboundConfig(opts.env);
  const logger = opts.logger.child({ role: 'outbound' });
  if (config.listen === undefined) {
    logger.info('outbound role disabled');
    return { address: undefined, listeners: [], describe: () => ({ discovery: [], backends: [] }), handOff: async () => undefined, close: async () => undefined };
  }
  const clock = { now: () => performance.now() };
  const random = Math.random;
  const client = new DestinationClient(config.destinationAddr, credentials.createInsecure());
  const discovery = new Discovery({
    api: client,
    contextToken: config.namespace === '' ? '' : JSON.stringify({ ns: config.namespace }),
    random,
    logger,
  });
  const policyClient = config.policyAddr === undefined ? undefined : new OutboundPoliciesClient(config.policyAddr, credentials.createInsecure());
  const policies = new PolicyDiscovery({
    api: policyClient,
    // Linkerd's workload token: the client namespace scopes consumer routes (GAMMA).
    sourceWorkload: config.namespace === '' ? '' : JSON.stringify({ ns: config.namespace, pod: config.podName }),
    random,
    logger,
  });
  const metrics = new OutboundMetrics(opts.registry, {
    // Read at scrape time, once the stack below exists.
    backends: () => stack.services.backendStates(),
    discoveryStreams: () => discovery.stateCounts(),
    reconnects: (kind) => discovery.reconnectCount(kind),
  });
  const selfAuthorities = new Set<string>();
  const stack = createOutboundStack({
    discovery,
    policies,
    metrics,
    logger,
    clock,
    random,
    balancer: config.balancer,
    authority: { clusterDomain: config.clusterDomain, namespace: config.namespace },
    selfAuthorities,
    poke: config.autoscalerAddr === undefined ? undefined : createPoke(config.autoscalerAddr, config.podName),
    failFastMs: config.failFastMs,
    profileWaitMs: FIRST_MESSAGE_TIMEOUT_MS,
    meshTls: opts.meshTls,
    accessLog: readAccessLog(opts.env) ? { write: opts.writeAccessLog ?? ((line) => process.stdout.write(line)) } : undefined,
    overload: opts.overload,
  });
  const listener = await startListener({
    host: config.listen.host,
    port: config.listen.port,
    logger,
    handle: stack.serve,
  }).catch((err: unknown) => {
    policies.close();
    client.close();
    policyClient?.close();
    void stack.services.close();
    throw err;
  });
  selfAuthorities.add(`${listener.host}:${listener.port}`);
  if (config.listen.host === '127.0.0.1') selfAuthorities.add(`localhost:${listener.port}`);
  logger.info(
    { event: 'listening', outbound: `${listener.host}:${listener.port}`, destination: config.destinationAddr, policy: config.policyAddr, autoscaler: config.autoscalerAddr },
    'outbound listening',
  );
  let closing: Promise<void> | undefined;
  const closeAfter = (listenerDone: Promise<void>) =>
    (closing ??= (async () => {
      await listenerDone;
      await stack.services.close();
      policies.close();
      client.close();
      policyClient?.close();
    })());
  return {
    address: { host: listener.host, port: listener.port },
    listeners: [listener.server],
    describe: () => ({ discovery: discovery.streamStates(), backends: stack.services.describe() }),
    handOff: () => closeAfter(listener.handOff()),
    close: () => closeAfter(listener.close()),
  };
}
