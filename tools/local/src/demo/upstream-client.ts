import { TrellisAgent } from '@trellis/client';
import { request } from 'undici';
import type { UpstreamAnswer } from './http-app';

// The demo answers with at most this much of the upstream's body (bytes); the rest is dropped.
export const MAX_UPSTREAM_BODY_BYTES = 64 * 1024;

/**
 * The demo's `/call`: GET DEMO_UPSTREAM through @trellis/client, which resolves and balances the mesh
 * service in the app itself (destination at $TRELLIS_DESTINATION_ADDR, default 127.0.0.1:8086).
 */
export function upstreamClient(upstream: string, destination: string | undefined): { call(): Promise<UpstreamAnswer>; close(): Promise<void> } {
  const agent = new TrellisAgent(destination === undefined ? {} : { destination });
  return {
    async call() {
      const res = await request(upstream, { dispatcher: agent });
      const chunks: Buffer[] = [];
      let size = 0;
      for await (const chunk of res.body as AsyncIterable<Buffer>) {
        if (size < MAX_UPSTREAM_BODY_BYTES) chunks.push(chunk.subarray(0, MAX_UPSTREAM_BODY_BYTES - size));
        size += chunk.length;
      }
      return { status: res.statusCode, body: Buffer.concat(chunks).toString('utf8') };
    },
    close: () => agent.close(),
  };
}
