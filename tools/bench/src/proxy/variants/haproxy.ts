import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { haproxyConfig } from '../haproxy-config';
import { freePort, PROXY_CPU, startProcess, stopProcess, waitForPort } from '../processes';
import type { VariantAdapter } from './variant';

export const haproxy: VariantAdapter = {
  id: 'haproxy',
  label: 'haproxy (1 thread)',
  description: 'haproxy, nbthread 1, mode http, http-reuse always; h2c in front of an h2 backend for HTTP/2.',
  kind: 'peer',
  async start(ctx) {
    const [listenH1, listenH2] = [await freePort(), await freePort()];
    const file = path.join(ctx.workDir, 'haproxy.cfg');
    await writeFile(file, haproxyConfig({ listenH1, listenH2, backendH1: ctx.backendH1Port, backendH2: ctx.backendH2Port }));
    const managed = startProcess('haproxy', PROXY_CPU, ctx.tools.haproxy ?? 'haproxy', ['-db', '-f', file]);
    try {
      await waitForPort(managed, listenH1);
      await waitForPort(managed, listenH2);
    } catch (err) {
      await stopProcess(managed);
      throw err;
    }
    return {
      h1: { url: `http://127.0.0.1:${listenH1}/`, headers: [] },
      h2: { url: `http://127.0.0.1:${listenH2}/`, headers: [] },
      processes: [managed],
      stop: () => stopProcess(managed),
    };
  },
};
