import { describe, expect, it } from 'vitest';
import { parseStartArgs } from './start-options';

describe('parseStartArgs', () => {
  it('has the standard ports by default', () => {
    expect(parseStartArgs([])).toEqual({
      dir: undefined,
      autoscaler: true,
      outboundPort: 4140,
      destinationPort: 8086,
      policyPort: 8090,
      destinationAdminPort: 9996,
      autoscalerPort: 9997,
      metricsPort: 9091,
      addresses: '127.0.0.2-127.0.0.254',
      statusIntervalS: 2,
    });
    expect(parseStartArgs(['--help'])).toBe('help');
  });

  it('reads every flag', () => {
    const argv = ['--dir', 'x', '--no-autoscaler', '--outbound-port', '14140', '--destination-port', '18086', '--policy-port', '18090', '--destination-admin-port', '19996'];
    argv.push('--autoscaler-port', '19997', '--metrics-port', '19091', '--addresses', '127.1.0.2-127.1.0.9', '--status-interval', '0');
    expect(parseStartArgs(argv)).toEqual({
      dir: 'x',
      autoscaler: false,
      outboundPort: 14140,
      destinationPort: 18086,
      policyPort: 18090,
      destinationAdminPort: 19996,
      autoscalerPort: 19997,
      metricsPort: 19091,
      addresses: '127.1.0.2-127.1.0.9',
      statusIntervalS: 0,
    });
  });

  it.each([
    [['--outbound-port', '0'], /--outbound-port must be an integer from 1 to 65535/],
    [['--outbound-port', 'http'], /--outbound-port/],
    [['--addresses', '10.0.0.1-10.0.0.2'], /address range must be inside 127.0.0.0\/8/],
    [['--outbound-port', '8086'], /ports on 127.0.0.1 must differ/],
    [['--policy-port', '9996'], /ports on 127.0.0.1 must differ/],
    [['--status-interval', '-1'], /--status-interval/],
    [['--what'], /Unknown option '--what'/],
    [['stray'], /Unexpected argument 'stray'/],
  ])('rejects %j', (argv, message) => {
    expect(() => parseStartArgs(argv)).toThrow(message);
  });
});
