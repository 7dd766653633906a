// The local runner on its own: `node dist/tools/local/runner-cli.js --dir <folder> [flags]` keeps every opted-in
// Deployment of the folder running as app + proxy processes and writes their EndpointSlices. `npm start` runs
// the same runner together with the control plane.
import { parseArgs } from 'node:util';
import { DEFAULT_ADDRESS_RANGE, parseAddressRange } from './runner/address-pool';
import { DEFAULT_PROXY_COMMAND, LocalRunner } from './runner/runner';
import { parseCommand } from './runner/local-workload';

const USAGE = `usage: node dist/tools/local/runner-cli.js --dir DIR [flags]
  --dir DIR                 the manifest folder (required)
  --proxy-command CMD       the proxy of every replica (default "${DEFAULT_PROXY_COMMAND.join(' ')}")
  --destination-addr H:P    TRELLIS_DESTINATION_ADDR for the proxies (default: the proxy's own default)
  --autoscaler-addr H:P     TRELLIS_AUTOSCALER_ADDR for the proxies
  --addresses A-B           loopback addresses for replicas (default ${DEFAULT_ADDRESS_RANGE})
  --log-dir DIR             one log file per process (default: output dropped)
  --help                    this text`;

function fail(message: string): never {
  console.error(`runner: ${message}\n\n${USAGE}`);
  process.exit(2);
}

async function main(): Promise<void> {
  let values;
  try {
    ({ values } = parseArgs({
      strict: true,
      allowPositionals: false,
      options: {
        dir: { type: 'string' },
        'proxy-command': { type: 'string' },
        'destination-addr': { type: 'string' },
        'autoscaler-addr': { type: 'string' },
        addresses: { type: 'string' },
        'log-dir': { type: 'string' },
        help: { type: 'boolean' },
      },
    }));
  } catch (err) {
    fail((err as Error).message);
  }
  if (values.help) {
    console.log(USAGE);
    return;
  }
  if (values.dir === undefined) fail('--dir is required');
  const proxyCommand = values['proxy-command'] === undefined ? DEFAULT_PROXY_COMMAND : parseCommand(values['proxy-command']);
  if (typeof proxyCommand === 'string') fail(`--proxy-command: ${proxyCommand}`);
  try {
    parseAddressRange(values.addresses ?? DEFAULT_ADDRESS_RANGE);
  } catch (err) {
    fail((err as Error).message);
  }
  const proxyEnv: Record<string, string> = {};
  if (values['destination-addr']) proxyEnv['TRELLIS_DESTINATION_ADDR'] = values['destination-addr'];
  if (values['autoscaler-addr']) proxyEnv['TRELLIS_AUTOSCALER_ADDR'] = values['autoscaler-addr'];
  const runner = new LocalRunner({
    dir: values.dir,
    proxyCommand,
    proxyEnv,
    ...(values.addresses ? { addressRange: values.addresses } : {}),
    ...(values['log-dir'] ? { logDir: values['log-dir'] } : {}),
    report: (m) => console.log(`runner: ${m}`),
  });
  await runner.start();
  console.log(`runner: running ${runner.status().map((s) => `${s.workload} ×${s.desired}`).join(', ') || 'nothing (no Deployment has local.trellis.io/command)'}`);
  let stopping = false;
  const stop = () => {
    if (stopping) return;
    stopping = true;
    void runner.close().then(() => process.exit(0));
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

void main();
