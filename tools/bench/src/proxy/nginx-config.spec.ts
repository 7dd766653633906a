import { describe, expect, it } from 'vitest';
import { nginxH1BackendConfig, nginxH2BackendConfig, nginxProxyConfig } from './nginx-config';

const ports = { listenH1: 1001, listenH2: 1002, backendH1: 2001, backendH2: 2002 };

describe('nginxProxyConfig', () => {
  const config = nginxProxyConfig('/tmp/bench/nginx', ports);

  it('runs one worker in the foreground with every file under the given directory', () => {
    expect(config).toMatch(/^daemon off;$/m);
    expect(config).toMatch(/^worker_processes 1;$/m);
    const paths = [...config.matchAll(/(?:pid|error_log|_temp_path) (\S+?);?(?:\s|$)/g)].map((m) => m[1] ?? '');
    expect(paths.length).toBeGreaterThanOrEqual(7);
    for (const p of paths) expect(p.startsWith('/tmp/bench/nginx/')).toBe(true);
  });

  it('keeps upstream connections alive over HTTP/1.1 without a Connection header', () => {
    expect(config).toContain('server 127.0.0.1:2001;');
    expect(config).toMatch(/upstream backend_h1 \{[^}]*keepalive \d+;/);
    expect(config).toContain('proxy_http_version 1.1;');
    expect(config).toContain('proxy_set_header Connection "";');
  });

  it('listens on loopback only: HTTP/1.1 on one port, h2c to a gRPC upstream on the other', () => {
    expect(config).toContain('listen 127.0.0.1:1001;');
    expect(config).toContain('listen 127.0.0.1:1002 http2;');
    expect(config).toContain('grpc_pass grpc://backend_h2;');
    expect(config).toMatch(/upstream backend_h2 \{\s*server 127\.0\.0\.1:2002;/);
    expect([...config.matchAll(/listen (\S+)/g)].every((m) => m[1]?.startsWith('127.0.0.1:'))).toBe(true);
  });

  it('has balanced braces', () => {
    expect((config.match(/\{/g) ?? []).length).toBe((config.match(/\}/g) ?? []).length);
  });
});

describe('nginxH2BackendConfig', () => {
  it('answers every h2c request with the body and a grpc-status trailer', () => {
    const config = nginxH2BackendConfig('/tmp/b', 3000, 'x'.repeat(100));
    expect(config).toContain('listen 127.0.0.1:3000 http2;');
    expect(config).toContain(`return 200 "${'x'.repeat(100)}";`);
    expect(config).toContain('add_trailer grpc-status 0;');
    expect(config).toContain('default_type application/grpc;');
  });

  it('refuses a body that would need quoting', () => {
    expect(() => nginxH2BackendConfig('/tmp/b', 3000, 'a";}')).toThrow(RangeError);
  });
});

describe('nginxH1BackendConfig', () => {
  const body = 'x'.repeat(100);
  const config = nginxH1BackendConfig('/tmp/b1', 3001, body);

  it('answers every HTTP/1.1 request with 200 and exactly the body, on loopback', () => {
    expect(config).toContain('listen 127.0.0.1:3001;');
    expect(config).not.toContain('http2');
    expect(config).toContain(`return 200 "${body}";`);
    expect(config).toContain('default_type text/plain;');
  });

  it('runs one worker with every file under its directory and keeps client connections open for the whole run', () => {
    expect(config).toMatch(/^worker_processes 1;$/m);
    expect(config).toMatch(/keepalive_requests \d{6,};/);
    expect(config).toContain('keepalive_timeout 300s;');
    const paths = [...config.matchAll(/(?:pid|error_log|_temp_path) (\S+?);?(?:\s|$)/g)].map((m) => m[1] ?? '');
    for (const p of paths) expect(p.startsWith('/tmp/b1/')).toBe(true);
    expect((config.match(/\{/g) ?? []).length).toBe((config.match(/\}/g) ?? []).length);
  });

  it('refuses a body that would need quoting', () => {
    expect(() => nginxH1BackendConfig('/tmp/b1', 3001, 'a"; }')).toThrow(RangeError);
  });
});
