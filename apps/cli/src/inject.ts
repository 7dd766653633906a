import { InjectError, injectManifests, type InjectOptions } from '@trellis/inject';
import { parseAllDocuments } from 'yaml';
import { EXIT_FAILED, EXIT_OK, type Command } from './command';
import { CliError } from './errors';
import { parseFlags } from './flags';

/** Ours: the most YAML `trellis inject` reads from stdin. */
export const MAX_INPUT_BYTES = 16 * 1024 * 1024;

const USAGE = `usage: trellis inject [flags] < manifests.yaml > injected.yaml

Adds the Trellis proxy to every workload (Deployment, StatefulSet, DaemonSet, ReplicaSet, Job, CronJob, Pod,
and Lists of them) read from stdin, the same transformation as the injection webhook; other objects pass
through. Skipped, with the reason on stderr: pods annotated trellis.io/inject: disabled, pods that already have
the proxy, hostNetwork pods. Settings come from the pod template's annotations (docs/injection.md).

  --sidecar native|container  native: an init container with restartPolicy Always (Kubernetes >= 1.29; Jobs
                              complete); container: a regular container (default native)
  --image IMAGE               proxy image (default trellis/proxy; a pod's trellis.io/proxy-image wins)
  --destination-addr H:P      the destination service (default trellis-destination.trellis-system...:8086)
  --autoscaler-addr H:P       the autoscaler (default trellis-autoscaler.trellis-system...:9997)
  --identity-addr H:P         the identity service (default trellis-identity.trellis-system...:8080)
  -o yaml|json                output format (default yaml)
  -h, --help                  this text`;

export function sidecarMode(command: string, raw: string | undefined): InjectOptions['mode'] {
  if (raw === undefined || raw === 'native') return 'native';
  if (raw === 'container') return 'container';
  throw new CliError('CLI_BAD_FLAG', `trellis ${command}: --sidecar must be native or container, got "${raw}"`);
}

export const injectCommand: Command = {
  name: 'inject',
  summary: 'add the proxy sidecar to manifests read from stdin',
  usage: USAGE,
  async run(argv, io) {
    const { values } = parseFlags('inject', argv, {
      sidecar: { type: 'string' },
      image: { type: 'string' },
      'destination-addr': { type: 'string' },
      'autoscaler-addr': { type: 'string' },
      'identity-addr': { type: 'string' },
    });
    if (values.help) {
      io.stdout(`${USAGE}\n`);
      return EXIT_OK;
    }
    if (values.output !== undefined && values.output !== 'yaml' && values.output !== 'json') {
      throw new CliError('CLI_BAD_FLAG', `trellis inject: -o must be yaml or json, got "${values.output}"`);
    }
    const options: InjectOptions = {
      mode: sidecarMode('inject', values.sidecar),
      injectByDefault: true,
      ...(values.image ? { image: values.image } : {}),
      ...(values['destination-addr'] ? { destinationAddr: values['destination-addr'] } : {}),
      ...(values['autoscaler-addr'] ? { autoscalerAddr: values['autoscaler-addr'] } : {}),
      ...(values['identity-addr'] ? { identityAddr: values['identity-addr'] } : {}),
    };
    const input = await io.stdin();
    if (Buffer.byteLength(input) > MAX_INPUT_BYTES) throw new CliError('CLI_BAD_INPUT', `trellis inject: input larger than ${MAX_INPUT_BYTES} bytes`);
    let out;
    try {
      out = injectManifests(input, options);
    } catch (err) {
      if (!(err instanceof InjectError)) throw err;
      io.stderr(`trellis inject: ${err.message}\n`);
      return EXIT_FAILED;
    }
    for (const r of out.reports) io.stderr(`${r.kind.toLowerCase()}/${r.name} ${r.injected ? 'injected' : `skipped: ${r.reason}`}\n`);
    if (values.output === 'json') {
      const docs = parseAllDocuments(out.yaml).map((d) => d.toJS() as unknown);
      io.stdout(`${JSON.stringify(docs.length === 1 ? docs[0] : { apiVersion: 'v1', kind: 'List', items: docs }, null, 2)}\n`);
    } else {
      io.stdout(out.yaml);
    }
    return EXIT_OK;
  },
};
