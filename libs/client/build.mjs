// Builds the publishable package into dist/libs/client: one ESM bundle (our libs compiled in, third-party
// packages external), declarations from tsc, and a package.json pointing at both. The declarations reachable
// from index.d.ts must not name our private workspace packages, which are not published.
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const here = dirname(fileURLToPath(import.meta.url));
const root = resolve(here, '../..');
const out = join(root, 'dist/libs/client');

rmSync(out, { recursive: true, force: true });
mkdirSync(out, { recursive: true });
await build({
  entryPoints: [join(here, 'src/index.ts')],
  outfile: join(out, 'index.js'),
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  sourcemap: true,
  logLevel: 'warning',
  plugins: [
    {
      name: 'external-third-party',
      setup(b) {
        b.onResolve({ filter: /^[^./]/ }, (args) => (args.path.startsWith('@trellis/') ? undefined : { path: args.path, external: true }));
      },
    },
  ],
});
execFileSync(process.execPath, [join(root, 'node_modules/typescript/bin/tsc'), '-p', join(here, 'tsconfig.lib.json')], { stdio: 'inherit' });

const seen = new Set();
function check(file) {
  if (seen.has(file)) return;
  seen.add(file);
  const text = readFileSync(file, 'utf8');
  for (const [, spec] of text.matchAll(/from '([^']+)'/g)) {
    if (spec.startsWith('@trellis/')) throw new Error(`${file} names the private package ${spec}`);
    if (spec.startsWith('.')) {
      const next = resolve(dirname(file), `${spec}.d.ts`);
      if (existsSync(next)) check(next);
    }
  }
}
check(join(out, 'types/index.d.ts'));

const pkg = JSON.parse(readFileSync(join(here, 'package.json'), 'utf8'));
pkg.exports = { '.': { types: './types/index.d.ts', default: './index.js' } };
pkg.types = './types/index.d.ts';
writeFileSync(join(out, 'package.json'), `${JSON.stringify(pkg, null, 2)}\n`);
process.stdout.write(`built ${out}\n`);
