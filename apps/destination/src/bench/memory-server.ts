// Entry for tools/bench/src/destination-bench.ts --source memory: the destination service on an
// in-memory source of S services x E endpoints (argv), in its own process so its RSS is its own.
// The parent sends {service, endpoints} over IPC to replace a service's slice and gets an ack once
// the change is in the source; the first IPC message out carries the bound ports.
import type { EndpointSlice, Service } from '@trellis/kube';
import { pino } from 'pino';
import { startDestination } from '../destination';
import { createMemorySource } from '../memory-source';

const NAMESPACE = 'bench';
const QUEUE_LIMIT_MESSAGES = 1000;

const ip = (service: number, endpoint: number) => `10.${(service >> 8) & 255}.${service & 255}.${endpoint + 1}`;

function serviceObject(service: number): Service {
  return { apiVersion: 'v1', kind: 'Service', metadata: { name: `svc-${service}`, namespace: NAMESPACE }, spec: { ports: [{ name: 'http', port: 80, targetPort: 8080 }] } };
}

function sliceObject(service: number, endpoints: number): EndpointSlice {
  return {
    apiVersion: 'discovery.k8s.io/v1',
    kind: 'EndpointSlice',
    metadata: { name: `svc-${service}-1`, namespace: NAMESPACE, labels: { 'kubernetes.io/service-name': `svc-${service}` } },
    addressType: 'IPv4',
    ports: [{ name: 'http', port: 8080 }],
    endpoints: Array.from({ length: endpoints }, (_, e) => ({ addresses: [ip(service, e)], conditions: { ready: true } })),
  };
}

async function main(): Promise<void> {
  const [services = 100, endpoints = 100] = process.argv.slice(2).map(Number);
  const memory = createMemorySource();
  for (let s = 0; s < services; s += 1) {
    memory.put(serviceObject(s));
    memory.put(sliceObject(s, endpoints));
  }
  const source = memory.source;
  const running = await startDestination({
    source,
    logger: pino({ level: 'warn' }),
    host: '127.0.0.1',
    grpcPort: 0,
    policyPort: 0,
    adminPort: 0,
    clusterDomain: 'cluster.local',
    streamQueueLimit: QUEUE_LIMIT_MESSAGES,
  });
  process.on('message', (m: { service: number; endpoints: number }) => {
    memory.put(sliceObject(m.service, m.endpoints));
    process.send?.({ ack: true });
  });
  process.on('SIGTERM', () => void running.close().then(() => process.exit(0)));
  process.send?.({ grpcPort: running.grpcPort, adminPort: running.adminPort });
}

void main();
