// Generates libs/proto/src/generated from libs/proto/proto with buf + ts-proto (options in buf.gen.yaml).
// `--check` regenerates into a temporary folder and fails if the committed output differs.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

const protoRoot = path.resolve('libs/proto');
const generated = 'src/generated';
const check = process.argv.includes('--check');

function buf(outBase) {
  const args = ['buf', 'generate'];
  if (outBase) args.push('-o', outBase);
  execFileSync('npx', args, { cwd: protoRoot, stdio: ['ignore', 'inherit', 'inherit'] });
}

function listFiles(dir, prefix = '') {
  return readdirSync(dir).flatMap((name) => {
    const full = path.join(dir, name);
    return statSync(full).isDirectory() ? listFiles(full, path.join(prefix, name)) : [path.join(prefix, name)];
  });
}

if (!check) {
  rmSync(path.join(protoRoot, generated), { recursive: true, force: true });
  buf();
  console.log(`generated ${listFiles(path.join(protoRoot, generated)).length} files in libs/proto/${generated}`);
  process.exit(0);
}

const scratch = mkdtempSync(path.join(tmpdir(), 'trellis-proto-'));
try {
  buf(scratch);
  const fresh = path.join(scratch, generated);
  const committed = path.join(protoRoot, generated);
  const names = new Set([...listFiles(fresh), ...listFiles(committed)]);
  const stale = [...names].filter((name) => {
    try {
      return !readFileSync(path.join(fresh, name)).equals(readFileSync(path.join(committed, name)));
    } catch {
      return true;
    }
  });
  if (stale.length > 0) {
    console.error(`libs/proto/${generated} is out of date (${stale.join(', ')}); run: npx nx run proto:codegen`);
    process.exit(1);
  }
  console.log(`libs/proto/${generated} is current (${names.size} files)`);
} finally {
  rmSync(scratch, { recursive: true, force: true });
}
