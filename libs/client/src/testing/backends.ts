import http from 'node:http';

/** How much longer `/slow` takes, in ms. */
export const SLOW_PATH_DELAY_MS = 2_000;

export interface Backend {
  host: string;
  port: number;
  served: number;
  /** Added to every response, in ms. */
  delayMs: number;
  /** Answer 500 to every other request (the first included). */
  flaky: boolean;
  close(): Promise<void>;
}

/** An HTTP server answering its name and the Host it was asked for as JSON, after `delayMs`; `/slow` takes 2 s more. */
export async function startBackend(name: string, host: string, port: number): Promise<Backend> {
  const timers = new Set<NodeJS.Timeout>();
  const backend: Backend = {
    host,
    port,
    served: 0,
    delayMs: 0,
    flaky: false,
    close: () =>
      new Promise<void>((resolve) => {
        timers.forEach(clearTimeout);
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
  const server = http.createServer((req, res) => {
    backend.served += 1;
    req.resume();
    const answer = () => {
      res.statusCode = backend.flaky && backend.served % 2 === 1 ? 500 : 200;
      res.end(JSON.stringify({ name, host: req.headers.host ?? '' }));
    };
    const delayMs = backend.delayMs + (req.url === '/slow' ? SLOW_PATH_DELAY_MS : 0);
    if (delayMs <= 0) return answer();
    const t = setTimeout(() => {
      timers.delete(t);
      answer();
    }, delayMs);
    timers.add(t);
  });
  await new Promise<void>((resolve) => server.listen(port, host, () => resolve()));
  return backend;
}

/** A Service with one port and an EndpointSlice listing `ips`, as YAML for the fs source. */
export function serviceYaml(name: string, port: number, ips: readonly string[]): string {
  return `apiVersion: v1
kind: Service
metadata: { name: ${name}, namespace: demo }
spec:
  ports: [{ name: http, port: 80, targetPort: ${port} }]
---
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata:
  name: ${name}-1
  namespace: demo
  labels: { kubernetes.io/service-name: ${name} }
addressType: IPv4
ports: [{ name: http, port: ${port} }]
endpoints:
${ips.map((ip) => `  - addresses: ["${ip}"]`).join('\n')}
`;
}
