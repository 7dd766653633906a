import { defineConfig } from 'vitest/config';

/**
 * Two projects: every spec on the default HTTP/1.1 server (Trellis's own), and the specs that go
 * through the proxy's listeners again on Node's server (TRELLIS_HTTP1_SERVER=node, the fallback),
 * so that both keep passing the same tests. `--project http1-trellis` runs one of them.
 */
const LISTENER_SPECS = ['src/inbound/**/*.spec.ts', 'src/outbound/**/*.spec.ts', 'src/mesh-tls.spec.ts'];

export default defineConfig({
  test: {
    testTimeout: 30_000,
    hookTimeout: 30_000,
    projects: [
      { extends: true, test: { name: 'http1-trellis', include: ['src/**/*.spec.ts'], env: { TRELLIS_HTTP1_SERVER: 'trellis' } } },
      { extends: true, test: { name: 'http1-node', include: LISTENER_SPECS, env: { TRELLIS_HTTP1_SERVER: 'node' } } },
    ],
  },
});
