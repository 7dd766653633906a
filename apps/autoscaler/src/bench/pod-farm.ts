// Simulated pods for the autoscaler benchmark: N HTTP servers on 127.0.0.1 (ephemeral ports), each answering
// /metrics with a Knative Stat (protobuf) whose concurrency drifts randomly. Prints {"ports":[...]} once listening.
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Stat } from '@trellis/proto';

const count = Number(process.argv[2] ?? '1000');
const ports: number[] = [];
for (let i = 0; i < count; i++) {
  let concurrency = 1 + Math.random() * 50;
  const server = createServer((_req, res) => {
    concurrency = Math.max(0, concurrency + (Math.random() - 0.5) * 10);
    const body = Stat.encode(
      Stat.fromPartial({ podName: `pod-${i}`, averageConcurrentRequests: concurrency, requestCount: concurrency * 10, processUptime: 600 }),
    ).finish();
    res.writeHead(200, { 'content-type': 'application/protobuf', 'content-length': body.length });
    res.end(body);
  });
  server.keepAliveTimeout = 10_000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  ports.push((server.address() as AddressInfo).port);
}
process.stdout.write(`${JSON.stringify({ ports })}\n`);
process.on('SIGTERM', () => process.exit(0));
