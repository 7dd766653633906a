// Loaded with `node --import` into the Node proxies proxy-bench runs with --time-in-proxy (time-in-proxy-window.ts):
// times requests at the process's sockets and, on SIGUSR2, writes what it timed since the last signal to
// `<TRELLIS_BENCH_TIME_IN_PROXY_DIR>/<pid>.json` and starts over. Without that variable it does nothing.
import { renameSync, writeFileSync } from 'node:fs';
import { timeInProxy } from '@trellis/testing/time-in-proxy';
import { TIME_IN_PROXY_DIR_ENV, timeInProxyFile } from '../time-in-proxy-window';

const dir = process.env[TIME_IN_PROXY_DIR_ENV];
if (dir !== undefined && dir !== '') {
  const timing = timeInProxy();
  process.on('SIGUSR2', () => {
    const file = timeInProxyFile(dir, process.pid);
    // Written whole, then renamed: the bench never reads half a file.
    writeFileSync(`${file}.partial`, JSON.stringify(timing.summary()));
    renameSync(`${file}.partial`, file);
    timing.reset();
  });
}
