import { parseArgs } from 'node:util';
import { LocalError } from '../errors';
import { DEFAULT_ADDRESS_RANGE, parseAddressRange } from '../runner/address-pool';

// The standard ports of the local mesh on 127.0.0.1 (DESIGN.md): outbound proxy 4140, destination gRPC 8086,
// its policy API 8090 (Linkerd's policy controller port) and admin 9996, autoscaler admin/poke 9997, the outbound
// proxy's Prometheus metrics 9091.
export const DEFAULT_OUTBOUND_PORT = 4140;
export const DEFAULT_DESTINATION_PORT = 8086;
export const DEFAULT_POLICY_PORT = 8090;
export const DEFAULT_DESTINATION_ADMIN_PORT = 9996;
export const DEFAULT_AUTOSCALER_PORT = 9997;
export const DEFAULT_METRICS_PORT = 9091;
// How often the status lines are printed; 0 turns them off.
export const DEFAULT_STATUS_INTERVAL_S = 2;
const MAX_STATUS_INTERVAL_S = 3600;

export interface StartOptions {
  /** The manifest folder to run in place; undefined: a fresh copy of examples/. */
  dir: string | undefined;
  autoscaler: boolean;
  outboundPort: number;
  destinationPort: number;
  policyPort: number;
  destinationAdminPort: number;
  autoscalerPort: number;
  metricsPort: number;
  addresses: string;
  statusIntervalS: number;
}

export const START_USAGE = `usage: npm start -- [flags]

Runs the whole mesh on this machine: the destination service on a folder of manifests, the local runner
(every opted-in Deployment as app + proxy processes on 127.0.0.N), the autoscaler writing spec.replicas into
the folder, and an outbound proxy on 127.0.0.1:${DEFAULT_OUTBOUND_PORT}. Ctrl-C stops everything.

  --dir DIR                  run on this folder in place (default: a temporary copy of examples/)
  --no-autoscaler            do not start the autoscaler (replicas then change only by editing the folder)
  --outbound-port P          outbound proxy port on 127.0.0.1 (default ${DEFAULT_OUTBOUND_PORT})
  --destination-port P       destination gRPC port on 127.0.0.1 (default ${DEFAULT_DESTINATION_PORT})
  --policy-port P            destination policy API port (OutboundPolicies, InboundServerPolicies) (default ${DEFAULT_POLICY_PORT})
  --destination-admin-port P destination admin port (default ${DEFAULT_DESTINATION_ADMIN_PORT})
  --autoscaler-port P        autoscaler admin and poke port (default ${DEFAULT_AUTOSCALER_PORT})
  --metrics-port P           outbound proxy Prometheus port, read for the status lines (default ${DEFAULT_METRICS_PORT})
  --addresses A-B            loopback addresses for replicas (default ${DEFAULT_ADDRESS_RANGE})
  --status-interval S        seconds between status lines, 0 for none (default ${DEFAULT_STATUS_INTERVAL_S})
  --help                     this text`;

function integer(flag: string, raw: string | undefined, fallback: number, min: number, max: number): number {
  if (raw === undefined) return fallback;
  if (!/^\d+$/.test(raw) || Number(raw) < min || Number(raw) > max) {
    throw new LocalError('LOCAL_BAD_FLAG', `--${flag} must be an integer from ${min} to ${max}, got "${raw}"`);
  }
  return Number(raw);
}

/** Parses `npm start` flags; 'help' for --help; throws LocalError LOCAL_BAD_FLAG with a clear message. */
export function parseStartArgs(argv: string[]): StartOptions | 'help' {
  let values;
  try {
    ({ values } = parseArgs({
      args: argv,
      strict: true,
      allowPositionals: false,
      options: {
        dir: { type: 'string' },
        'no-autoscaler': { type: 'boolean' },
        'outbound-port': { type: 'string' },
        'destination-port': { type: 'string' },
        'policy-port': { type: 'string' },
        'destination-admin-port': { type: 'string' },
        'autoscaler-port': { type: 'string' },
        'metrics-port': { type: 'string' },
        addresses: { type: 'string' },
        'status-interval': { type: 'string' },
        help: { type: 'boolean' },
      },
    }));
  } catch (err) {
    throw new LocalError('LOCAL_BAD_FLAG', (err as Error).message);
  }
  if (values.help) return 'help';
  const addresses = values.addresses ?? DEFAULT_ADDRESS_RANGE;
  parseAddressRange(addresses);
  const options: StartOptions = {
    dir: values.dir,
    autoscaler: !values['no-autoscaler'],
    outboundPort: integer('outbound-port', values['outbound-port'], DEFAULT_OUTBOUND_PORT, 1, 65535),
    destinationPort: integer('destination-port', values['destination-port'], DEFAULT_DESTINATION_PORT, 1, 65535),
    policyPort: integer('policy-port', values['policy-port'], DEFAULT_POLICY_PORT, 1, 65535),
    destinationAdminPort: integer('destination-admin-port', values['destination-admin-port'], DEFAULT_DESTINATION_ADMIN_PORT, 1, 65535),
    autoscalerPort: integer('autoscaler-port', values['autoscaler-port'], DEFAULT_AUTOSCALER_PORT, 1, 65535),
    metricsPort: integer('metrics-port', values['metrics-port'], DEFAULT_METRICS_PORT, 1, 65535),
    addresses,
    statusIntervalS: integer('status-interval', values['status-interval'], DEFAULT_STATUS_INTERVAL_S, 0, MAX_STATUS_INTERVAL_S),
  };
  const ports = [options.outboundPort, options.destinationPort, options.policyPort, options.destinationAdminPort, options.metricsPort];
  if (options.autoscaler) ports.push(options.autoscalerPort);
  if (new Set(ports).size !== ports.length) throw new LocalError('LOCAL_BAD_FLAG', `the ports on 127.0.0.1 must differ, got ${ports.join(', ')}`);
  return options;
}
