import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { StatusHistogram } from './status-histogram';

describe('StatusHistogram', () => {
  it('exposes counts and cumulative buckets per status in Prometheus text', async () => {
    const histogram = new StatusHistogram([0.1, 1]);
    const registry = new Registry();
    histogram.register(registry, { counterName: 'x_total', counterHelp: 'x', histogramName: 'x_seconds', histogramHelp: 'x' }, { pod: 'p' });
    histogram.observe(200, 0.05);
    histogram.observe(200, 0.1);
    histogram.observe(200, 0.5);
    histogram.observe(200, 3);
    histogram.observe(503, 0.01);
    const text = await registry.metrics();
    expect(text).toContain('x_total{pod="p",response_code="200",response_code_class="2xx"} 4');
    expect(text).toContain('x_total{pod="p",response_code="503",response_code_class="5xx"} 1');
    expect(text).toContain('x_seconds_bucket{le="0.1",pod="p",response_code="200",response_code_class="2xx"} 2');
    expect(text).toContain('x_seconds_bucket{le="1",pod="p",response_code="200",response_code_class="2xx"} 3');
    expect(text).toContain('x_seconds_bucket{le="+Inf",pod="p",response_code="200",response_code_class="2xx"} 4');
    expect(text).toContain('x_seconds_sum{pod="p",response_code="200",response_code_class="2xx"} 3.65');
    expect(text).toContain('x_seconds_count{pod="p",response_code="503",response_code_class="5xx"} 1');
    expect(text).toContain('# TYPE x_seconds histogram');
  });
});
