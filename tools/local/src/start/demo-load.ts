// The README's autoscaling demo: /slow?ms=300 at 80 req/s keeps about 80 × 0.9 × 0.3 ≈ 22 requests in flight at
// hello-v1 (90 % of the split), three times its KPA target of 10 per replica at 70 % utilization (7): the
// autoscaler takes it from 2 to 4 replicas (its max-scale is 6). /hello answers in about a millisecond, so no
// request rate a laptop can send would move it.
export const DEMO_LOAD = { path: '/slow?ms=300', rps: 80, durationS: 60 } as const;
