/**
 * Child processes run in their own process group; if the harness dies without cleaning up (SIGKILL), the child is
 * re-parented and this guard ends it.
 */
const ORPHAN_CHECK_MS = 1_000;

export function exitWhenOrphaned(): void {
  const parent = process.ppid;
  setInterval(() => {
    if (process.ppid !== parent) process.exit(0);
  }, ORPHAN_CHECK_MS).unref();
}

/** `<listenPort> <targetPort>` from argv; exits with a usage line when they are not ports. */
export function portsFromArgv(usage: string): { listen: number; target: number } {
  const [listen, target] = process.argv.slice(2).map(Number);
  const valid = (n: number | undefined): n is number => n !== undefined && Number.isInteger(n) && n >= 0 && n <= 65535;
  if (!valid(listen) || !valid(target)) {
    console.error(`usage: ${usage} <listen-port> <target-port>`);
    process.exit(2);
  }
  return { listen, target };
}
