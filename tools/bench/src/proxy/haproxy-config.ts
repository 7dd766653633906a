import type { NginxProxyPorts } from './nginx-config';

/**
 * haproxy as the proxy under test: one thread, HTTP/1.1 with connection reuse on one port, and h2c in front of an
 * h2c backend on the other. Run in the foreground with `haproxy -db -f <file>`; it logs nothing.
 */
export function haproxyConfig(ports: NginxProxyPorts): string {
  return `global
  nbthread 1
  maxconn 4000

defaults
  mode http
  timeout connect 5s
  timeout client 60s
  timeout server 60s
  http-reuse always

frontend h1_in
  bind 127.0.0.1:${ports.listenH1}
  default_backend h1_out

frontend h2_in
  bind 127.0.0.1:${ports.listenH2} proto h2
  default_backend h2_out

backend h1_out
  server backend 127.0.0.1:${ports.backendH1}

backend h2_out
  server backend 127.0.0.1:${ports.backendH2} proto h2
`;
}
