import path from 'node:path';
import { freePort, PROXY_CPU, startProcess, stopProcess, waitForPort } from '../processes';
import { timedLaunch } from '../time-in-proxy-window';
import type { StartContext, VariantAdapter } from './variant';

const H1_ONLY = 'HTTP/1.1 only in this harness (the issue compares Node peers on HTTP/1.1)';
const H2_ONLY = 'HTTP/2 only: the floor of node:http2, measured against the Trellis HTTP/2 paths';

/** A compiled child proxy `<entry> <port> <upstream port>` on the proxy's CPU, once it listens. */
async function startChild(ctx: StartContext, id: string, entry: string, upstreamPort: number) {
  const port = await freePort();
  const timed = timedLaunch(ctx.timeInProxy);
  const managed = startProcess(id, PROXY_CPU, process.execPath, [...timed.nodeOptions, entry, String(port), String(upstreamPort)], {
    env: { ...process.env, ...timed.env },
  });
  try {
    await waitForPort(managed, port);
  } catch (err) {
    await stopProcess(managed);
    throw err;
  }
  return { port, managed };
}

/** A Node proxy from `children/<script>.ts`, compiled to `<childrenDir>/<script>.mjs`, run with plain node. */
function nodePeer(id: string, label: string, description: string, script: string): VariantAdapter {
  return {
    id,
    label,
    description,
    kind: 'peer',
    async start(ctx) {
      const { port, managed } = await startChild(ctx, id, path.join(ctx.childrenDir, `${script}.mjs`), ctx.backendH1Port);
      return {
        h1: { url: `http://127.0.0.1:${port}/`, headers: [] },
        processes: [managed],
        timed: ctx.timeInProxy === undefined ? undefined : [managed],
        scenarioSkips: { h2: H1_ONLY },
        stop: () => stopProcess(managed),
      };
    },
  };
}

/** The minimal node:http2 proxy: h2c in front, one reused h2c client session to the h2 backend. */
export const nodeH2Peer: VariantAdapter = {
  id: 'node-h2',
  label: 'minimal Node http2 proxy',
  description: 'node:http2 server, each stream forwarded on one reused node:http2 client session, bodies piped, trailers passed on; about 30 lines.',
  kind: 'peer',
  async start(ctx) {
    const { port, managed } = await startChild(ctx, 'node-h2', path.join(ctx.childrenDir, 'node-h2-peer.mjs'), ctx.backendH2Port);
    return {
      h2: { url: `http://127.0.0.1:${port}/`, headers: [] },
      processes: [managed],
      timed: ctx.timeInProxy === undefined ? undefined : [managed],
      scenarioSkips: { 'h1-c1': H2_ONLY, 'h1-c50': H2_ONLY },
      stop: () => stopProcess(managed),
    };
  },
};

export const httpProxyPeer = nodePeer('http-proxy', 'http-proxy', 'http-proxy 1.18 on node:http with a keep-alive agent (128 sockets).', 'http-proxy-peer');
export const fastifyPeer = nodePeer('fastify', '@fastify/http-proxy', 'fastify 5 with @fastify/http-proxy 11 (undici underneath), logger off, defaults otherwise.', 'fastify-peer');
export const undiciPeer = nodePeer('undici', 'minimal undici proxy', 'node:http in front of an undici Pool (128 connections), hop-by-hop headers dropped; about 40 lines.', 'undici-peer');
