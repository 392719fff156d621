import { MetricRegistry } from '@sluice/common';
import { describe, expect, test } from 'vitest';
import { parsePrometheusText, sampleValue } from './prometheus-text.js';

describe('parsePrometheusText', () => {
  test("reads what the services' registry writes", async () => {
    const registry = new MetricRegistry();
    registry.counter('sluice_requests_total', 'Requests.', ['route', 'status']).labels('/v1/chat/completions', '200').inc(3);
    const histogram = registry.histogram('sluice_wait_seconds', 'Waits.', ['route'], [0.1, 1]);
    histogram.labels('a').observe(0.5);
    histogram.labels('b "quoted"').observe(5);
    registry.sampled('sluice_level', 'Level.', 'gauge', [], () => [[[], 1.5]]);
    const families = parsePrometheusText(await registry.render());
    expect(families.get('sluice_requests_total')?.type).toBe('counter');
    expect(sampleValue(families, 'sluice_requests_total', { status: '200' })).toBe(3);
    expect(sampleValue(families, 'sluice_wait_seconds_count')).toBe(2);
    expect(sampleValue(families, 'sluice_wait_seconds_bucket', { route: 'b "quoted"', le: '+Inf' })).toBe(1);
    expect(sampleValue(families, 'sluice_level')).toBe(1.5);
  });

  test.each([
    ['a sample before its TYPE', 'x_total 1\n'],
    ['a family split in two', '# TYPE a gauge\na 1\n# TYPE b gauge\nb 1\n# TYPE a gauge\n'],
    ['a duplicate series', '# TYPE a gauge\na{x="1"} 1\na{x="1"} 2\n'],
    ['a bad escape', '# TYPE a gauge\na{x="\\t"} 1\n'],
    ['an unquoted label value', '# TYPE a gauge\na{x=1} 1\n'],
    ['a bad value', '# TYPE a gauge\na 1,5\n'],
    ['no final newline', '# TYPE a gauge\na 1'],
    ['buckets not cumulative', '# TYPE h histogram\nh_bucket{le="1"} 2\nh_bucket{le="+Inf"} 1\nh_sum 1\nh_count 1\n'],
    ['no +Inf bucket', '# TYPE h histogram\nh_bucket{le="1"} 1\nh_sum 1\nh_count 1\n'],
    ['count not the +Inf bucket', '# TYPE h histogram\nh_bucket{le="+Inf"} 2\nh_sum 1\nh_count 1\n'],
  ])('rejects %s', (_name, text) => {
    expect(() => parsePrometheusText(text)).toThrow();
  });
});
