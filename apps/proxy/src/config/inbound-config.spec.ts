import { describe, expect, it } from 'vitest';
import { ConfigError } from './errors';
import { INBOUND_ENV, inboundHelp, loadInboundConfig } from './inbound-config';
import { compileRequestLogTemplate, type RequestLogFields } from './request-log-template';

function errorFor(env: Record<string, string>): ConfigError {
  try {
    loadInboundConfig(env, 'host-a');
  } catch (err) {
    if (err instanceof ConfigError) return err;
    throw err;
  }
  throw new Error('expected a ConfigError');
}

describe('loadInboundConfig', () => {
  it('uses the Knative defaults', () => {
    const config = loadInboundConfig({}, 'host-a');
    expect(config).toMatchObject({
      host: '0.0.0.0',
      httpPort: 8012,
      h2cPort: 8013,
      adminPort: 8022,
      statsPort: 9090,
      metricsPort: 9091,
      userPort: 8080,
      containerConcurrency: 0,
      revisionTimeoutMs: 300_000,
      responseStartTimeoutMs: 0,
      idleTimeoutMs: 0,
      pod: 'host-a',
      drainQuietPeriodMs: 30_000,
    });
    expect(config.readinessProbe.checks).toEqual([{ kind: 'tcp', host: '127.0.0.1', port: 8080 }]);
    expect(config.tracing.backend).toBe('none');
  });

  it('reads the Knative variable names', () => {
    const config = loadInboundConfig(
      {
        QUEUE_SERVING_PORT: '0',
        USER_PORT: '9000',
        CONTAINER_CONCURRENCY: '4',
        REVISION_TIMEOUT_SECONDS: '10',
        REVISION_RESPONSE_START_TIMEOUT_SECONDS: '3',
        REVISION_IDLE_TIMEOUT_SECONDS: '2',
        SERVING_NAMESPACE: 'ns',
        SERVING_REVISION: 'hello-00001',
        SERVING_POD: 'hello-pod',
        TRELLIS_INBOUND_HOST: '127.0.0.5',
      },
      'host-a',
    );
    expect(config).toMatchObject({
      httpPort: 0,
      userPort: 9000,
      containerConcurrency: 4,
      revisionTimeoutMs: 10_000,
      responseStartTimeoutMs: 3_000,
      idleTimeoutMs: 2_000,
      namespace: 'ns',
      revision: 'hello-00001',
      pod: 'hello-pod',
      host: '127.0.0.5',
    });
  });

  it.each([
    ['USER_PORT', 'eighty'],
    ['USER_PORT', '0'],
    ['QUEUE_SERVING_PORT', '70000'],
    ['CONTAINER_CONCURRENCY', '-1'],
    ['REVISION_TIMEOUT_SECONDS', '0'],
    ['REVISION_IDLE_TIMEOUT_SECONDS', '1.5'],
    ['SERVING_ENABLE_REQUEST_LOG', 'yes please'],
    ['SERVING_READINESS_PROBE', '{not json'],
    ['SERVING_READINESS_PROBE', '{"exec":{"command":["true"]}}'],
    ['SERVING_READINESS_PROBE', '{"httpGet":{"port":"http"}}'],
    ['SERVING_REQUEST_LOG_TEMPLATE', '{{.Request.Secret}}'],
    ['TRACING_CONFIG_BACKEND', 'jaeger'],
    ['TRACING_CONFIG_SAMPLE_RATE', '2'],
  ])('rejects %s=%s with a message naming the variable', (name, value) => {
    const err = errorFor({ [name]: value });
    expect(err.variable).toBe(name);
    expect(err.message.startsWith(`${name}: `)).toBe(true);
  });

  it('requires a Zipkin endpoint for the zipkin backend', () => {
    expect(errorFor({ TRACING_CONFIG_BACKEND: 'zipkin' }).variable).toBe('TRACING_CONFIG_ZIPKIN_ENDPOINT');
  });

  it('parses Knative readiness probes (HTTP with headers, and lists)', () => {
    const config = loadInboundConfig(
      {
        USER_PORT: '8081',
        SERVING_READINESS_PROBE:
          '{"httpGet":{"path":"/healthz","port":0,"host":"127.0.0.1","scheme":"HTTP","httpHeaders":[{"name":"K-Kubelet-Probe","value":"queue"}]},"successThreshold":1,"periodSeconds":5,"timeoutSeconds":2}',
      },
      'h',
    );
    expect(config.readinessProbe).toEqual({
      checks: [{ kind: 'http', host: '127.0.0.1', port: 8081, path: '/healthz', headers: [['K-Kubelet-Probe', 'queue']] }],
      periodMs: 5000,
      timeoutMs: 2000,
    });
    const list = loadInboundConfig({ SERVING_READINESS_PROBE: '[{"tcpSocket":{"port":8080}},{"tcpSocket":{"port":9000}}]' }, 'h');
    expect(list.readinessProbe.checks.map((c) => c.port)).toEqual([8080, 9000]);
    expect(list.readinessProbe.periodMs).toBe(0);
  });

  it('documents every variable in --help', () => {
    const help = inboundHelp();
    for (const variable of INBOUND_ENV) expect(help).toContain(variable.name);
  });
});

describe('compileRequestLogTemplate', () => {
  const fields: RequestLogFields = {
    method: 'GET',
    uri: '/a?b="c"',
    host: 'example.com',
    proto: 'HTTP/1.1',
    remoteAddr: '127.0.0.1:5000',
    userAgent: 'curl',
    referer: '',
    contentLength: '0',
    header: (name) => (name === 'X-B3-Traceid' ? 'abc' : ''),
    status: 204,
    responseSize: 0,
    latencySeconds: 0.25,
    revision: { Name: 'r', Namespace: 'ns', Configuration: 'c', PodName: 'p', PodIP: '10.0.0.1' },
  };

  it('renders the Knative default template shape with js escaping and header index', () => {
    const template = compileRequestLogTemplate(
      '{"requestMethod": "{{.Request.Method}}", "requestUrl": "{{js .Request.RequestURI}}", "status": {{.Response.Code}}, "latency": "{{.Response.Latency}}s", "traceId": "{{index .Request.Header "X-B3-Traceid"}}", "serverIp": "{{.Revision.PodIP}}"}',
    );
    expect(JSON.parse(template(fields))).toEqual({
      requestMethod: 'GET',
      requestUrl: '/a?b="c"',
      status: 204,
      latency: '0.25s',
      traceId: 'abc',
      serverIp: '10.0.0.1',
    });
  });

  it('rejects an unclosed action', () => {
    expect(() => compileRequestLogTemplate('{{.Request.Method')).toThrow(/unclosed/);
  });
});
