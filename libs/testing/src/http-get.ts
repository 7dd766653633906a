import http from 'node:http';

/** GETs `/` on 127.0.0.1:`port` through `agent` (keep-alive in the callers) and reads the answer to its end. */
export function getThrough(port: number, agent: http.Agent): Promise<void> {
  return new Promise((resolve, reject) => {
    http
      .get({ host: '127.0.0.1', port, path: '/', agent }, (res) => {
        res.resume();
        res.on('end', resolve);
      })
      .on('error', reject);
  });
}
