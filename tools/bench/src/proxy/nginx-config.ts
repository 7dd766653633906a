/**
 * nginx configurations for the benchmark: the proxy under test (one worker, upstream keep-alive, HTTP/1.1 on one
 * port and h2c → gRPC upstream on another) and the static HTTP/1.1 and h2c backends. Everything nginx writes goes
 * under `dir`, so it runs unprivileged in the foreground (`nginx -p dir -c dir/nginx.conf -e dir/error.log`).
 */

/** Keep-alive connections nginx keeps per upstream; well above the c=50 load so no request waits for one. */
const UPSTREAM_KEEPALIVE_CONNECTIONS = 128;
/** Requests per connection before nginx closes it (default 1000 would reconnect during a run). */
const REQUESTS_PER_CONNECTION = 100_000_000;

function preamble(dir: string): string {
  return `daemon off;
master_process on;
worker_processes 1;
pid ${dir}/nginx.pid;
error_log ${dir}/error.log warn;
events { worker_connections 4096; }
`;
}

function httpCommon(dir: string): string {
  return `  access_log off;
  client_body_temp_path ${dir}/client_body;
  proxy_temp_path ${dir}/proxy;
  fastcgi_temp_path ${dir}/fastcgi;
  uwsgi_temp_path ${dir}/uwsgi;
  scgi_temp_path ${dir}/scgi;
  keepalive_requests ${REQUESTS_PER_CONNECTION};
  keepalive_timeout 300s;
`;
}

function upstream(name: string, port: number): string {
  return `  upstream ${name} {
    server 127.0.0.1:${port};
    keepalive ${UPSTREAM_KEEPALIVE_CONNECTIONS};
    keepalive_requests ${REQUESTS_PER_CONNECTION};
    keepalive_timeout 300s;
  }
`;
}

export interface NginxProxyPorts {
  readonly listenH1: number;
  readonly listenH2: number;
  readonly backendH1: number;
  readonly backendH2: number;
}

export function nginxProxyConfig(dir: string, ports: NginxProxyPorts): string {
  return `${preamble(dir)}http {
${httpCommon(dir)}${upstream('backend_h1', ports.backendH1)}${upstream('backend_h2', ports.backendH2)}  server {
    listen 127.0.0.1:${ports.listenH1};
    location / {
      proxy_pass http://backend_h1;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
    }
  }
  server {
    listen 127.0.0.1:${ports.listenH2} http2;
    location / {
      grpc_pass grpc://backend_h2;
    }
  }
}
`;
}

function checkBody(body: string): void {
  if (!/^[A-Za-z0-9]*$/.test(body)) throw new RangeError('the backend body must be alphanumeric (it is inlined in nginx.conf)');
}

/**
 * The static HTTP/1.1 backend: every request gets 200 with exactly `body` (issue 8: "100-byte responses"). nginx, not a
 * Node server, so that direct and the nginx/haproxy peers measure themselves rather than the backend: a Node backend
 * tops out near 12 k req/s on the shared load CPU, nginx near 56 k (measured 2026-11-22).
 */
export function nginxH1BackendConfig(dir: string, port: number, body: string): string {
  checkBody(body);
  return `${preamble(dir)}http {
${httpCommon(dir)}  server {
    listen 127.0.0.1:${port};
    location / {
      default_type text/plain;
      return 200 "${body}";
    }
  }
}
`;
}

/** An h2c (prior knowledge) server answering every request with `body` as a gRPC-style response (trailer grpc-status 0). */
export function nginxH2BackendConfig(dir: string, port: number, body: string): string {
  checkBody(body);
  return `${preamble(dir)}http {
${httpCommon(dir)}  server {
    listen 127.0.0.1:${port} http2;
    location / {
      default_type application/grpc;
      add_trailer grpc-status 0;
      return 200 "${body}";
    }
  }
}
`;
}
