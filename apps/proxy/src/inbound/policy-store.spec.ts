import { ManualClock } from '@trellis/balance';
import { defaultPolicy } from '@trellis/policy';
import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { createLogger } from '../logger';
import { PolicyMetrics } from './policy-metrics';
import { InboundPolicyStore } from './policy-store';
import { ipv4Network, serverPolicy } from './testing/policy-server';

function store() {
  const registry = new Registry();
  const s = new InboundPolicyStore(defaultPolicy('deny', []), new ManualClock(), createLogger({ level: 'silent' }), new PolicyMetrics(registry, '10.0.0.1:8080'));
  return { s, registry };
}

const limited = (rps: number) => serverPolicy({ name: 'web-http', networks: [ipv4Network('10.0.0.0', 8)], rateLimit: { total: { requestsPerSecond: rps }, overrides: [] } });

describe('InboundPolicyStore', () => {
  it('starts with the static policy and replaces it with a valid Server', () => {
    const { s } = store();
    expect(s.current).toMatchObject({ source: 'static', policy: { server: { name: 'deny' } }, limiter: undefined });
    expect(s.applyServer(limited(5))).toBe(true);
    expect(s.current).toMatchObject({ source: 'server', policy: { server: { name: 'web-http' } } });
    expect(s.current.limiter?.spec.totalRps).toBe(5);
  });

  it('keeps the rate limiter (and its spent tokens) across an update with the same limit, and replaces it when the limit changes', () => {
    const { s } = store();
    s.applyServer(limited(5));
    const limiter = s.current.limiter;
    for (let i = 0; i < 5; i++) limiter?.check(undefined);
    s.applyServer(limited(5));
    expect(s.current.limiter).toBe(limiter);
    expect(s.current.limiter?.check(undefined).limited).toBe(true);
    s.applyServer(limited(6));
    expect(s.current.limiter).not.toBe(limiter);
    expect(s.current.limiter?.check(undefined).limited).toBe(false);
  });

  it('rejects an invalid Server, counts it by reason, and keeps the last valid policy', async () => {
    const { s, registry } = store();
    s.applyServer(limited(5));
    const before = s.current;
    expect(s.applyServer(serverPolicy({ name: 'broken', networks: [ipv4Network('10.0.0.0', 40)] }))).toBe(false);
    expect(s.applyServer(limited(0))).toBe(false);
    expect(s.current).toBe(before);
    const text = await registry.metrics();
    expect(text).toContain('inbound_policy_updates_rejected_total{reason="INVALID_CIDR"} 1');
    expect(text).toContain('inbound_policy_updates_rejected_total{reason="INVALID_RATE"} 1');
  });
});
