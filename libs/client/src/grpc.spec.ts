import { rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Server, ServerCredentials, credentials, makeGenericClientConstructor, type ServerUnaryCall, type sendUnaryData } from '@grpc/grpc-js';
import { createTempDir, sharedPort, waitFor, type TempDir } from '@trellis/testing';
import { Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registerTrellisGrpc, type TrellisGrpc } from './grpc';
import { serviceYaml } from './testing/backends';
import { buildDestination, spawnDestination, type DestinationProcess } from './testing/destination-process';

const HOSTS = ['127.0.0.2', '127.0.0.3', '127.0.0.4'];
const CALLS_PER_ROUND = 60;
/** Between rounds of calls, ms: lets a connection still being made come up. */
const ROUND_PAUSE_MS = 50;
const identity = (b: Buffer) => b;
const WhoService = {
  who: { path: '/trellis.test.Who/Who', requestStream: false, responseStream: false, requestSerialize: identity, requestDeserialize: identity, responseSerialize: identity, responseDeserialize: identity },
};
const WhoClient = makeGenericClientConstructor(WhoService, 'trellis.test.Who');

/** A gRPC server on `host:port` whose Who call answers its host. */
async function startWho(host: string, port: number): Promise<Server> {
  const server = new Server();
  server.addService(WhoService, {
    who(_call: ServerUnaryCall<Buffer, Buffer>, callback: sendUnaryData<Buffer>) {
      callback(null, Buffer.from(host));
    },
  });
  await new Promise<number>((resolve, reject) =>
    server.bindAsync(`${host}:${port}`, ServerCredentials.createInsecure(), (err, p) => (err ? reject(err) : resolve(p))),
  );
  return server;
}

function who(client: InstanceType<typeof WhoClient>): Promise<string> {
  return new Promise((resolve, reject) =>
    client.makeUnaryRequest('/trellis.test.Who/Who', identity, identity, Buffer.alloc(0), (err, value) => (err ? reject(err) : resolve(String(value)))),
  );
}

describe('grpc-js through the trellis resolver and LB policy, against the real destination service', () => {
  let dir: TempDir;
  let destination: DestinationProcess;
  const servers: Server[] = [];
  let grpc: TrellisGrpc | undefined;

  beforeAll(async () => {
    await buildDestination();
    const port = await sharedPort(HOSTS);
    for (const host of HOSTS) servers.push(await startWho(host, port));
    dir = await createTempDir('trellis-client-grpc-');
    await writeFile(join(dir.path, '.who.tmp'), serviceYaml('who', port, HOSTS));
    await rename(join(dir.path, '.who.tmp'), join(dir.path, 'who.yaml'));
    destination = await spawnDestination(dir.path);
  });

  afterAll(async () => {
    grpc?.close();
    servers.forEach((s) => s.forceShutdown());
    await destination?.kill();
    await dir?.remove();
  });

  it('reaches every endpoint of trellis:///who.demo.svc.cluster.local:80 and counts calls per endpoint', async () => {
    const registry = new Registry();
    grpc = registerTrellisGrpc({ destination: `127.0.0.1:${destination.grpcPort}`, registry });
    const client = new WhoClient('trellis:///who.demo.svc.cluster.local:80', credentials.createInsecure());
    try {
      // Peak-EWMA prefers endpoints it has seen answer fast over one it knows nothing of (30 ms assumed):
      // concurrent calls make the known ones busy enough for the third to be picked too, once its connection is
      // up. Rounds go on until every host answered, bounded in time, not in count: on a busy machine the last
      // connection can take longer than a fixed number of rounds.
      const seen = new Map<string, number>();
      await waitFor(
        async () => {
          const hosts = await Promise.all(Array.from({ length: CALLS_PER_ROUND }, () => who(client)));
          for (const host of hosts) seen.set(host, (seen.get(host) ?? 0) + 1);
          return seen.size === HOSTS.length;
        },
        { what: 'every endpoint answering', intervalMs: ROUND_PAUSE_MS },
      );
      expect([...seen.keys()].sort()).toEqual(HOSTS);
      expect(grpc.mode).toBe('mesh');
      expect(await registry.metrics()).toMatch(/response_total\{direction="outbound",authority="who.demo.svc.cluster.local:80",dst_namespace="demo",dst_service="who",dst_deployment="",status_code="200",classification="success",grpc_status="0"\}/);
    } finally {
      client.close();
    }
    grpc.close();
    grpc.close();
  });
});
