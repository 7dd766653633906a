import { parseArgs } from 'node:util';
import type { SidecarMode } from '@trellis/inject';
import { InjectorError } from './errors';

/** The webhook's HTTPS port (ours; Linkerd's proxy injector also serves 8443). */
export const DEFAULT_PORT = 8443;

export interface InjectorFlags {
  host: string;
  port: number;
  tlsCert: string;
  tlsKey: string;
  mode: SidecarMode;
  image: string | undefined;
  destinationAddr: string | undefined;
  autoscalerAddr: string | undefined;
  identityAddr: string | undefined;
  logLevel: string;
}

export const USAGE = `usage: injector --tls-cert FILE --tls-key FILE [flags]

The Trellis proxy injector: a mutating admission webhook (AdmissionReview v1) that adds the proxy to pods.
  POST /inject            pods annotated trellis.io/inject: enabled
  POST /inject-namespace  pods of namespaces labelled trellis.io/inject: enabled (a pod may opt out)
  GET /ready, GET /live   probes
Pods annotated trellis.io/inject: disabled, already injected and hostNetwork pods are admitted unchanged.

  --tls-cert FILE          PEM certificate the API server trusts (deploy/: the trellis-injector-tls Secret)
  --tls-key FILE           its PEM private key
  --host H                 address to listen on (default 0.0.0.0)
  --port P                 HTTPS port (default ${DEFAULT_PORT})
  --sidecar native|container
                           native: an init container with restartPolicy Always (Kubernetes >= 1.29, so Jobs
                           complete); container: a regular container (default native)
  --image IMAGE            proxy image (default trellis/proxy; a pod's trellis.io/proxy-image wins)
  --destination-addr H:P   destination service the proxies use (default trellis-destination.trellis-system...:8086)
  --autoscaler-addr H:P    autoscaler the proxies poke (default trellis-autoscaler.trellis-system...:9997)
  --identity-addr H:P      identity service the proxies get certificates from (default trellis-identity...:8080)
  --log-level L            pino level (default info)
  -h, --help               this text`;

function bad(message: string): InjectorError {
  return new InjectorError('INJECTOR_BAD_FLAG', `injector: ${message} (see injector --help)`);
}

/** Parses the command line; 'help' for --help; throws INJECTOR_BAD_FLAG with one clear line. */
export function parseFlags(argv: readonly string[]): InjectorFlags | 'help' {
  let values;
  try {
    ({ values } = parseArgs({
      args: [...argv],
      strict: true,
      options: {
        help: { type: 'boolean', short: 'h' },
        'tls-cert': { type: 'string' },
        'tls-key': { type: 'string' },
        host: { type: 'string' },
        port: { type: 'string' },
        sidecar: { type: 'string' },
        image: { type: 'string' },
        'destination-addr': { type: 'string' },
        'autoscaler-addr': { type: 'string' },
        'identity-addr': { type: 'string' },
        'log-level': { type: 'string' },
      },
    }));
  } catch (err) {
    const flag = /'(-[^' ]*)/.exec((err as Error).message)?.[1];
    const code = (err as { code?: string }).code;
    throw bad(code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION' ? `unknown flag ${flag}` : code === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE' ? `flag ${flag} needs a value` : 'unexpected argument');
  }
  if (values.help) return 'help';
  if (!values['tls-cert'] || !values['tls-key']) throw bad('--tls-cert and --tls-key are required');
  const port = values.port === undefined ? DEFAULT_PORT : Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65_535) throw bad(`--port must be 0-65535, got "${values.port}"`);
  const mode = values.sidecar ?? 'native';
  if (mode !== 'native' && mode !== 'container') throw bad(`--sidecar must be native or container, got "${mode}"`);
  return {
    host: values.host ?? '0.0.0.0',
    port,
    tlsCert: values['tls-cert'],
    tlsKey: values['tls-key'],
    mode,
    image: values.image,
    destinationAddr: values['destination-addr'],
    autoscalerAddr: values['autoscaler-addr'],
    identityAddr: values['identity-addr'],
    logLevel: values['log-level'] ?? 'info',
  };
}
