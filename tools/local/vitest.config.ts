import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['src/**/*.spec.ts'],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    // One file at a time: the end-to-end files run whole meshes under load (300 req/s in scale-under-load-e2e),
    // which starves the 100 ms readiness probes of the runner's tests when they share the two cores.
    fileParallelism: false,
  },
});
