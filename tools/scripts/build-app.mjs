// Bundles one app (or tool) entry point with esbuild into dist/<projectRoot>/.
// Our own workspace packages (@trellis/*) are bundled in; third-party packages stay
// external and are loaded from node_modules at run time.
import { build } from 'esbuild';
import path from 'node:path';

const [projectRoot, ...entries] = process.argv.slice(2);
if (!projectRoot || entries.length === 0) {
  console.error('usage: build-app.mjs <projectRoot> <entry.ts> [entry.ts ...]');
  process.exit(2);
}

const externalThirdParty = {
  name: 'external-third-party',
  setup(b) {
    b.onResolve({ filter: /^[^./]/ }, (args) => {
      if (args.path.startsWith('@trellis/')) return undefined;
      return { path: args.path, external: true };
    });
  },
};

await build({
  entryPoints: entries.map((e) => path.join(projectRoot, e)),
  outdir: path.join('dist', projectRoot),
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  sourcemap: true,
  logLevel: 'warning',
  plugins: [externalThirdParty],
});
