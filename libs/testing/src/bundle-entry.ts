import { build } from 'esbuild';

/**
 * Bundles one entry point the way `nx build` bundles an app (tools/scripts/build-app.mjs): @trellis/* packages
 * are compiled in, third-party packages stay external and load from node_modules. A test or benchmark that spawns
 * the bundle starts it in about a second instead of compiling TypeScript on every spawn.
 */
export async function bundleEntry(entry: string, outfile: string): Promise<void> {
  await build({
    entryPoints: [entry],
    outfile,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    logLevel: 'warning',
    plugins: [
      {
        name: 'external-third-party',
        setup(b) {
          b.onResolve({ filter: /^[^./]/ }, (args) =>
            args.path.startsWith('@trellis/') ? undefined : { path: args.path, external: true },
          );
        },
      },
    ],
  });
}
