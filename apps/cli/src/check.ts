import { credentials } from '@grpc/grpc-js';
import { DestinationClient } from '@trellis/proto';
import { parsePrometheusText } from '@trellis/viz';
import { EXIT_FAILED, EXIT_OK, type Command } from './command';
import type { CheckResult } from './check-result';
import { hostPort, outputFormat, parseFlags } from './flags';
import { httpGet, REQUEST_TIMEOUT_MS } from './http-get';
import { readLocalMesh } from './local-replicas';
import { table } from './table';

// The local mesh's standard addresses (DESIGN.md, docs/local-mode.md).
export const DEFAULT_DESTINATION = '127.0.0.1:8086';
export const DEFAULT_DESTINATION_ADMIN = '127.0.0.1:9996';
export const DEFAULT_AUTOSCALER = '127.0.0.1:9997';
/** The proxy's admin port (/ready), DESIGN.md. */
export const PROXY_ADMIN_PORT = 8022;
/** An authority the check resolves; any answer (no_endpoints included) shows the Destination API works. */
export const CHECK_AUTHORITY = 'trellis-check.trellis-system.svc.cluster.local:80';
export const CLI_VERSION = '0.1.0';

/** The first answer of Destination.Get for CHECK_AUTHORITY, within the timeout. */
export function checkDestinationGrpc(address: string, timeoutMs = REQUEST_TIMEOUT_MS): Promise<CheckResult> {
  const name = `destination gRPC ${address}`;
  const client = new DestinationClient(address, credentials.createInsecure());
  return new Promise<CheckResult>((resolve) => {
    const call = client.get({ scheme: 'k8s', path: CHECK_AUTHORITY, contextToken: '' });
    const done = (result: CheckResult) => {
      clearTimeout(timer);
      call.removeAllListeners();
      call.on('error', () => undefined);
      call.cancel();
      client.close();
      resolve(result);
    };
    const timer = setTimeout(() => done({ name, ok: false, detail: `no answer to Get in ${timeoutMs} ms` }), timeoutMs);
    call.on('data', (u: { update?: { $case: string } }) => done({ name, ok: true, detail: `Get answers (${u.update?.$case ?? 'empty'} for ${CHECK_AUTHORITY})` }));
    call.on('error', (err: Error & { details?: string }) => done({ name, ok: false, detail: (err.details ?? err.message).split('. Resolution note')[0] ?? err.message }));
  });
}

function nodeVersion(metricsText: string): string | undefined {
  return parsePrometheusText(metricsText, new Set(['nodejs_version_info']))[0]?.labels['version'];
}

/** GET /ready on an admin port, and the Node.js version its /metrics reports. */
export async function checkAdmin(label: string, address: string): Promise<CheckResult> {
  const name = `${label} ${address}`;
  try {
    const ready = await httpGet(address, '/ready');
    if (ready.status !== 200) return { name, ok: false, detail: `/ready answered ${ready.status}` };
    const metrics = await httpGet(address, '/metrics').catch(() => undefined);
    const version = metrics ? nodeVersion(metrics.body) : undefined;
    return { name, ok: true, detail: `ready${version ? `, node ${version}` : ''}` };
  } catch (err) {
    return { name, ok: false, detail: (err as Error).message };
  }
}

/** Every replica of a local mesh: EndpointSlice ready, and its proxy's /ready answers 200. */
export async function checkLocalProxies(dir: string): Promise<CheckResult[]> {
  const mesh = await readLocalMesh(dir);
  const results: CheckResult[] = mesh.problems.map((p) => ({ name: 'manifest', ok: false, detail: p }));
  const answers = await Promise.all(
    mesh.replicas.map(async (r) => {
      const ready = await httpGet(`${r.address}:${PROXY_ADMIN_PORT}`, '/ready').then((a) => a.status === 200, () => false);
      return { r, ready };
    }),
  );
  const bad = answers.filter((a) => !a.ready).map((a) => `${a.r.namespace}/${a.r.pod} (${a.r.address})`);
  results.push({
    name: 'proxies ready',
    ok: mesh.replicas.length > 0 && bad.length === 0,
    detail: mesh.replicas.length === 0 ? `no replicas in the EndpointSlices of ${dir}` : `${answers.length - bad.length}/${answers.length}${bad.length ? `; not ready: ${bad.join(', ')}` : ''}`,
  });
  return results;
}

const USAGE = `usage: trellis check [flags]

Checks that the control plane answers and the proxies are ready; exits 1 when a check fails.
Local mode (npm start) needs no flags but --dir for the proxies; on a cluster, port-forward and pass addresses,
and --kube for what the API server knows.

  --destination H:P          destination gRPC (default ${DEFAULT_DESTINATION})
  --destination-admin H:P    destination admin, /ready (default ${DEFAULT_DESTINATION_ADMIN})
  --autoscaler H:P           autoscaler admin, /ready (default ${DEFAULT_AUTOSCALER})
  --no-autoscaler            skip the autoscaler (npm start --no-autoscaler)
  --dir DIR                  the local mesh's manifest folder: every replica's proxy /ready (:${PROXY_ADMIN_PORT})
  --kube                     also ask the Kubernetes API (KUBECONFIG or in-cluster): CRDs, control plane
                             Deployments, and the trellis-proxy container of every injected pod
  -o table|json              output format (default table)
  -h, --help                 this text`;

export const checkCommand: Command = {
  name: 'check',
  summary: 'check the control plane and the proxies',
  usage: USAGE,
  async run(argv, io) {
    const { values } = parseFlags('check', argv, {
      destination: { type: 'string' },
      'destination-admin': { type: 'string' },
      autoscaler: { type: 'string' },
      'no-autoscaler': { type: 'boolean' },
      dir: { type: 'string' },
      kube: { type: 'boolean' },
    });
    if (values.help) {
      io.stdout(`${USAGE}\n`);
      return EXIT_OK;
    }
    const format = outputFormat('check', values.output);
    const destination = hostPort('check', 'destination', values.destination ?? DEFAULT_DESTINATION);
    const destinationAdmin = hostPort('check', 'destination-admin', values['destination-admin'] ?? DEFAULT_DESTINATION_ADMIN);
    const autoscaler = hostPort('check', 'autoscaler', values.autoscaler ?? DEFAULT_AUTOSCALER);
    const results: CheckResult[] = [{ name: 'trellis CLI', ok: true, detail: `version ${CLI_VERSION}, node ${process.versions.node}` }];
    results.push(await checkDestinationGrpc(destination));
    results.push(await checkAdmin('destination admin', destinationAdmin));
    if (!values['no-autoscaler']) results.push(await checkAdmin('autoscaler admin', autoscaler));
    if (values.dir !== undefined) results.push(...(await checkLocalProxies(values.dir)));
    if (values.kube) {
      // Loaded only when asked: @kubernetes/client-node is most of the CLI's start-up time.
      const { kubeChecks, loadKubeConfig } = await import('./check-kube');
      results.push(...(await kubeChecks(loadKubeConfig())));
    }
    const failed = results.filter((r) => !r.ok).length;
    if (format === 'json') io.stdout(`${JSON.stringify({ ok: failed === 0, checks: results }, null, 2)}\n`);
    else {
      io.stdout(`${table(['CHECK', 'STATUS', 'DETAIL'], results.map((r) => [r.name, r.ok ? 'ok' : 'FAIL', r.detail]), 3)}\n`);
      io.stdout(failed === 0 ? `all ${results.length} checks passed\n` : `${failed} of ${results.length} checks failed\n`);
    }
    return failed === 0 ? EXIT_OK : EXIT_FAILED;
  },
};
