import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { nginxProxyConfig } from '../nginx-config';
import { freePort, PROXY_CPU, startProcess, stopProcess, waitForPort } from '../processes';
import type { VariantAdapter } from './variant';

/** Starts nginx in the foreground with everything under `dir`; shared by the proxy variant and the h2c backend. */
export async function runNginx(name: string, cpu: number, nginx: string, dir: string, config: string) {
  await mkdir(dir, { recursive: true });
  const file = path.join(dir, 'nginx.conf');
  await writeFile(file, config);
  return startProcess(name, cpu, nginx, ['-p', dir, '-c', file, '-e', path.join(dir, 'error.log')]);
}

export const nginx: VariantAdapter = {
  id: 'nginx',
  label: 'nginx (1 worker)',
  description: 'nginx, one worker, upstream keepalive 128 over HTTP/1.1; h2c in front of grpc_pass for HTTP/2.',
  kind: 'peer',
  async start(ctx) {
    const [listenH1, listenH2] = [await freePort(), await freePort()];
    const dir = path.join(ctx.workDir, 'nginx');
    const config = nginxProxyConfig(dir, { listenH1, listenH2, backendH1: ctx.backendH1Port, backendH2: ctx.backendH2Port });
    const managed = await runNginx('nginx', PROXY_CPU, ctx.tools.nginx ?? 'nginx', dir, config);
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
