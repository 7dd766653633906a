import { describe, expect, it } from 'vitest';
import { parseFailureAccrual, parseRouteAnnotations } from './linkerd-route-annotations';

const ms = (n: number) => ({ seconds: String(Math.floor(n / 1000)), nanos: (n % 1000) * 1_000_000 });

describe('parseRouteAnnotations', () => {
  it('is empty without Linkerd annotations', () => {
    expect(parseRouteAnnotations({ 'app.kubernetes.io/name': 'web' })).toEqual({ problems: [] });
  });

  it.each([
    ['5xx', [{ start: 500, end: 599 }]],
    ['gateway-error', [{ start: 502, end: 504 }]],
    ['504, 500-502', [{ start: 504, end: 504 }, { start: 500, end: 502 }]],
  ])('reads retry.linkerd.io/http %j', (value, ranges) => {
    expect(parseRouteAnnotations({ 'retry.linkerd.io/http': value }).retry).toEqual({ http: ranges, limit: 1 });
  });

  it('reads every retry and timeout annotation', () => {
    const parsed = parseRouteAnnotations({
      'retry.linkerd.io/grpc': 'cancelled,Unavailable',
      'retry.linkerd.io/limit': '3',
      'retry.linkerd.io/timeout': '250ms',
      'timeout.linkerd.io/request': '10s',
      'timeout.linkerd.io/response': '2s',
      'timeout.linkerd.io/idle': '0s',
    });
    expect(parsed).toEqual({
      retry: { grpc: ['cancelled', 'unavailable'], limit: 3, timeout: ms(250) },
      timeouts: { request: ms(10_000), response: ms(2000) },
      problems: [],
    });
  });

  it.each([
    ['retry.linkerd.io/http', '600', /is not a status/],
    ['retry.linkerd.io/http', '504-500', /is not a status/],
    ['retry.linkerd.io/grpc', 'aborted', /is not one of cancelled/],
    ['retry.linkerd.io/limit', '-1', /not a non-negative integer/],
    ['timeout.linkerd.io/request', 'ten seconds', /./],
  ])('ignores and reports %s: %j', (annotation, value, reason) => {
    const parsed = parseRouteAnnotations({ [annotation]: value });
    expect(parsed.problems).toHaveLength(1);
    expect(parsed.problems[0]?.annotation).toBe(annotation);
    expect(parsed.problems[0]?.reason).toMatch(reason);
  });
});

describe('parseFailureAccrual', () => {
  it('is off unless the Service opts in', () => {
    expect(parseFailureAccrual({})).toEqual({ problems: [] });
  });

  it('uses Linkerd defaults and the overrides given', () => {
    const { accrual, problems } = parseFailureAccrual({
      'balancer.linkerd.io/failure-accrual': 'consecutive',
      'balancer.linkerd.io/failure-accrual-consecutive-min-penalty': '2s',
      'balancer.linkerd.io/failure-accrual-consecutive-jitter-ratio': '0.1',
    });
    expect(problems).toEqual([]);
    expect(accrual).toEqual({
      kind: { $case: 'consecutiveFailures', value: { maxFailures: 7, backoff: { minBackoff: ms(2000), maxBackoff: ms(60_000), jitterRatio: 0.1 } } },
    });
  });

  it('reports an unknown kind and a max penalty below the min', () => {
    expect(parseFailureAccrual({ 'balancer.linkerd.io/failure-accrual': 'ratio' }).problems[0]?.reason).toMatch(/not "consecutive"/);
    const { accrual, problems } = parseFailureAccrual({
      'balancer.linkerd.io/failure-accrual': 'consecutive',
      'balancer.linkerd.io/failure-accrual-consecutive-min-penalty': '10s',
      'balancer.linkerd.io/failure-accrual-consecutive-max-penalty': '1s',
    });
    expect(problems.map((p) => p.annotation)).toEqual(['balancer.linkerd.io/failure-accrual-consecutive-max-penalty']);
    expect(accrual?.kind?.value.backoff?.maxBackoff).toEqual(ms(10_000));
  });
});
