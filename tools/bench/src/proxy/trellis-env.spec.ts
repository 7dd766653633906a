import { describe, expect, it } from 'vitest';
import { destinationArgs, trellisProxyEnv } from './trellis-env';

describe('trellisProxyEnv', () => {
  const env = trellisProxyEnv({
    ports: { outbound: 1, inboundHttp: 2, inboundH2c: 3, admin: 4, stats: 5, metrics: 6 },
    destinationPort: 7,
    userPort: 8,
  });

  it('gives every listener its own loopback port, so proxies run side by side', () => {
    expect(env).toMatchObject({
      TRELLIS_OUTBOUND_ADDR: '127.0.0.1:1',
      QUEUE_SERVING_PORT: '2',
      TRELLIS_INBOUND_H2C_PORT: '3',
      TRELLIS_ADMIN_PORT: '4',
      TRELLIS_STATS_PORT: '5',
      TRELLIS_METRICS_PORT: '6',
      TRELLIS_INBOUND_HOST: '127.0.0.1',
    });
  });

  it('points at the destination service and the app on loopback', () => {
    expect(env).toMatchObject({ TRELLIS_DESTINATION_ADDR: '127.0.0.1:7', TRELLIS_APP_HOST: '127.0.0.1', USER_PORT: '8' });
  });

  it('stops without the 30 s drain quiet period, so slots do not wait on the last one', () => {
    expect(env.TRELLIS_DRAIN_QUIET_PERIOD_MS).toBe('0');
  });
});

describe('trellisProxyEnv without an outbound port', () => {
  it('turns the outbound role off', () => {
    const env = trellisProxyEnv({ ports: { outbound: undefined, inboundHttp: 2, inboundH2c: 3, admin: 4, stats: 5, metrics: 6 }, destinationPort: 7, userPort: 8 });
    expect(env.TRELLIS_OUTBOUND_ADDR).toBe('off');
  });
});

describe('destinationArgs', () => {
  it('binds both servers on loopback and reads the manifest folder', () => {
    expect(destinationArgs(10, 11, '/tmp/m')).toEqual(['--source', 'fs:/tmp/m', '--grpc-port', '10', '--admin-port', '11', '--listen-host', '127.0.0.1']);
  });

  it('sends identities only when given a trust domain', () => {
    expect(destinationArgs(10, 11, '/tmp/m', 'cluster.local').slice(-2)).toEqual(['--identity-trust-domain', 'cluster.local']);
  });
});
