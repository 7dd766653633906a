import path from 'node:path';
import { freePort, PROXY_CPU, startProcess, stopProcess, waitForPort } from '../processes';
import type { VariantAdapter } from './variant';

const H1_ONLY = 'HTTP/1.1 only in this harness (the issue compares Node peers on HTTP/1.1)';

/** A Node proxy from `children/<script>.ts`, compiled to `<childrenDir>/<script>.mjs`, run with plain node. */
function nodePeer(id: string, label: string, description: string, script: string): VariantAdapter {
  return {
    id,
    label,
    description,
    kind: 'peer',
    async start(ctx) {
      const port = await freePort();
      const entry = path.join(ctx.childrenDir, `${script}.mjs`);
      const managed = startProcess(id, PROXY_CPU, process.execPath, [entry, String(port), String(ctx.backendH1Port)]);
      try {
        await waitForPort(managed, port);
      } catch (err) {
        await stopProcess(managed);
        throw err;
      }
      return {
        h1: { url: `http://127.0.0.1:${port}/`, headers: [] },
        processes: [managed],
        scenarioSkips: { h2: H1_ONLY },
        stop: () => stopProcess(managed),
      };
    },
  };
}

export const httpProxyPeer = nodePeer('http-proxy', 'http-proxy', 'http-proxy 1.18 on node:http with a keep-alive agent (128 sockets).', 'http-proxy-peer');
export const fastifyPeer = nodePeer('fastify', '@fastify/http-proxy', 'fastify 5 with @fastify/http-proxy 11 (undici underneath), logger off, defaults otherwise.', 'fastify-peer');
export const undiciPeer = nodePeer('undici', 'minimal undici proxy', 'node:http in front of an undici Pool (128 connections), hop-by-hop headers dropped; about 40 lines.', 'undici-peer');
