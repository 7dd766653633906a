import { describe, expect, it } from 'vitest';
import { parseCli } from './cli';
import { DestinationError } from './errors';

describe('parseCli', () => {
  it('applies the defaults', () => {
    expect(parseCli([])).toEqual({
      kind: 'run',
      options: {
        source: 'kubernetes',
        grpcPort: 8086,
        policyPort: 8090,
        adminPort: 9996,
        listenHost: '0.0.0.0',
        clusterDomain: 'cluster.local',
        logLevel: 'info',
        streamQueueLimit: 100,
        writeRouteStatus: false,
        dashboardMetrics: [],
        defaultInboundPolicy: 'all-unauthenticated',
        clusterNetworks: expect.any(Array),
      },
    });
  });

  it("defaults --cluster-networks to Linkerd's clusterNetworks", () => {
    const result = parseCli([]);
    const texts = result.kind === 'run' ? result.options.clusterNetworks.map((c) => c.text) : [];
    expect(texts).toEqual(['10.0.0.0/8', '100.64.0.0/10', '172.16.0.0/12', '192.168.0.0/16', 'fd00::/8']);
  });

  it('reads --default-inbound-policy and --cluster-networks', () => {
    const result = parseCli(['--default-inbound-policy', 'cluster-authenticated', '--cluster-networks', '10.1.2.3/16, fd12::/16']);
    expect(result.kind === 'run' && result.options.defaultInboundPolicy).toBe('cluster-authenticated');
    expect(result.kind === 'run' && result.options.clusterNetworks.map((c) => c.text)).toEqual(['10.1.0.0/16', 'fd12::/16']);
  });

  it('reads every flag, ports 0 included', () => {
    const result = parseCli([
      '--source', 'fs:./m', '--grpc-port', '0', '--admin-port', '0', '--listen-host', '127.0.0.1',
      '--cluster-domain', 'Example.Org', '--log-level', 'debug', '--stream-queue-limit', '5', '--write-route-status',
    ]);
    expect(result).toEqual({
      kind: 'run',
      options: {
        source: 'fs:./m',
        grpcPort: 0,
        policyPort: 0,
        adminPort: 0,
        listenHost: '127.0.0.1',
        clusterDomain: 'example.org',
        logLevel: 'debug',
        streamQueueLimit: 5,
        writeRouteStatus: true,
        dashboardMetrics: [],
        defaultInboundPolicy: 'all-unauthenticated',
        clusterNetworks: expect.any(Array),
      },
    });
  });

  it('reads the dashboard flags: the autoscaler and repeated extra proxies', () => {
    const result = parseCli(['--dashboard-autoscaler', '127.0.0.1:9997', '--dashboard-metrics', '127.0.0.1:9091', '--dashboard-metrics', '[::1]:19091']);
    expect(result.kind === 'run' && result.options).toMatchObject({ dashboardAutoscaler: '127.0.0.1:9997', dashboardMetrics: ['127.0.0.1:9091', '[::1]:19091'] });
  });

  it('takes the policy port from --policy-port, else 8090, else ephemeral when only --grpc-port is chosen', () => {
    const policyPort = (argv: string[]) => {
      const result = parseCli(argv);
      return result.kind === 'run' ? result.options.policyPort : undefined;
    };
    expect(policyPort(['--policy-port', '9090'])).toBe(9090);
    expect(policyPort(['--grpc-port', '18086', '--policy-port', '18090'])).toBe(18090);
    expect(policyPort(['--grpc-port', '18086'])).toBe(0);
    expect(policyPort(['--policy-port', '0'])).toBe(0);
  });

  it('prints help', () => {
    const result = parseCli(['--help']);
    expect(result.kind).toBe('help');
    if (result.kind === 'help') expect(result.text).toContain('--stream-queue-limit');
  });

  it.each([
    [['--grpc-port', '70000'], /--grpc-port must be an integer from 0 to 65535, got "70000"/],
    [['--admin-port=-1'], /--admin-port must be an integer/],
    [['--grpc-port', '1.5'], /--grpc-port must be an integer/],
    [['--stream-queue-limit', '0'], /--stream-queue-limit must be an integer from 1/],
    [['--policy-port', '65536'], /--policy-port must be an integer from 0 to 65535, got "65536"/],
    [['--policy-port', 'http'], /--policy-port must be an integer/],
    [['--grpc-port', '9000', '--policy-port', '9000'], /--policy-port must differ from --grpc-port \(both 9000\)/],
    [['--source', 'etcd'], /--source: unknown source "etcd"/],
    [['--default-inbound-policy', 'allow'], /--default-inbound-policy must be one of all-unauthenticated, all-authenticated, cluster-unauthenticated, cluster-authenticated, deny, audit, got "allow"/],
    [['--cluster-networks', '10.0.0.0/33'], /--cluster-networks: "10.0.0.0\/33" is not a CIDR: the prefix length must be 0 to 32/],
    [['--cluster-networks', 'ten/8'], /--cluster-networks: "ten\/8" is not a CIDR/],
    [['--source', 'fs:'], /--source: source "fs:" needs a directory/],
    [['--cluster-domain', 'bad_domain'], /--cluster-domain must be a DNS name/],
    [['--log-level', 'loud'], /--log-level must be one of/],
    [['--dashboard-metrics', 'http://x:1'], /--dashboard-metrics must be host:port, got "http:\/\/x:1"/],
    [['--dashboard-autoscaler', 'autoscaler'], /--dashboard-autoscaler must be host:port/],
    [['--nope'], /Unknown option '--nope'/],
    [['--grpc-port'], /argument missing/],
    [['extra'], /positional/],
  ])('rejects %j', (argv, message) => {
    let caught: unknown;
    try {
      parseCli(argv);
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(DestinationError);
    expect((caught as DestinationError).code).toBe('DST_BAD_FLAG');
    expect((caught as DestinationError).message).toMatch(message);
    expect((caught as DestinationError).message).toContain('--help');
  });
});
