import { describe, expect, it } from 'vitest';
import { parseFlags } from './flags';

describe('parseFlags', () => {
  it('has documented defaults', () => {
    const f = parseFlags([], { POD_NAME: 'as-0', POD_NAMESPACE: 'mesh' });
    expect(f).toMatchObject({
      source: { kind: 'kubernetes' },
      actuator: 'kubernetes',
      adminHost: '0.0.0.0',
      adminPort: 9997,
      scrapePort: 9090,
      gracePeriodSec: 30,
      allowZeroInitialScale: false,
      leaderElect: true,
      leaseName: 'trellis-autoscaler',
      leaseNamespace: 'mesh',
      identity: 'as-0',
      logLevel: 'info',
    });
  });

  it('defaults to the fs actuator and no election with an fs source', () => {
    const f = parseFlags(['--source', 'fs:/tmp/m', '--admin-port=0', '--scrape-port', '19090', '--allow-zero-initial-scale', '--scale-to-zero-grace-period', '1m']);
    expect(f).toMatchObject({ source: { kind: 'fs', dir: '/tmp/m' }, actuator: 'fs', leaderElect: false, adminPort: 0, scrapePort: 19090, allowZeroInitialScale: true, gracePeriodSec: 60 });
  });

  it.each([
    [['--source', 'etcd'], /--source/],
    [['--source'], /--source needs a value/],
    [['--actuator', 'fs'], /--actuator fs needs --source fs:<dir>/],
    [['--actuator', 'docker'], /--actuator must be one of kubernetes, fs/],
    [['--admin-port', '70000'], /--admin-port must be a port number/],
    [['--scrape-port', '0'], /--scrape-port must be a port number/],
    [['--leader-elect', 'yes'], /--leader-elect must be true or false/],
    [['--scale-to-zero-grace-period', '30'], /--scale-to-zero-grace-period must look like/],
    [['--log-level', 'loud'], /--log-level must be one of/],
    [['--frobnicate'], /unknown flag --frobnicate/],
    [['stray'], /unexpected argument "stray"/],
  ])('rejects %j', (argv, message) => {
    expect(() => parseFlags(argv)).toThrow(message);
    expect(() => parseFlags(argv)).toThrow(/^autoscaler: [^\n]+ \(see autoscaler --help\)$/);
  });
});
