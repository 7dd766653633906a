import { accessSync, constants } from 'node:fs';
import path from 'node:path';

/** The external programs the benchmark drives, with the Debian package that provides each. */
export const REQUIRED_TOOLS: Readonly<Record<string, string>> = {
  nginx: 'nginx',
  haproxy: 'haproxy',
  wrk: 'wrk',
  h2load: 'nghttp2-client',
  taskset: 'util-linux',
};

// nginx and haproxy live in /usr/sbin, which is not on every user's PATH.
const EXTRA_DIRS = ['/usr/sbin', '/sbin', '/usr/local/sbin'];

export function findExecutable(name: string, searchPath = process.env.PATH ?? ''): string | undefined {
  const dirs = [...searchPath.split(path.delimiter).filter(Boolean), ...EXTRA_DIRS];
  for (const dir of dirs) {
    const candidate = path.join(dir, name);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // Not in this directory.
    }
  }
  return undefined;
}

/** The apt-get line that installs the missing tools, or undefined when none is missing. */
export function installHint(missing: readonly string[]): string | undefined {
  if (missing.length === 0) return undefined;
  const packages = [...new Set(missing.map((tool) => REQUIRED_TOOLS[tool] ?? tool))];
  return `sudo apt-get install -y ${packages.join(' ')}`;
}

export function locateTools(): { found: Record<string, string>; missing: string[] } {
  const found: Record<string, string> = {};
  const missing: string[] = [];
  for (const tool of Object.keys(REQUIRED_TOOLS)) {
    const location = findExecutable(tool);
    if (location) found[tool] = location;
    else missing.push(tool);
  }
  return { found, missing };
}
