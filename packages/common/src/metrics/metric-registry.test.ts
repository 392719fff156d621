import { describe, expect, test } from 'vitest';
import { MetricRegistry, OVERFLOW_LABEL } from './metric-registry.js';

describe('MetricRegistry', () => {
  test('counters render with HELP, TYPE and escaped label values', async () => {
    const registry = new MetricRegistry();
    const counter = registry.counter('sluice_things_total', 'Things.\nCounted.', ['kind']);
    counter.labels('a').inc();
    counter.labels('a').inc(2);
    counter.labels('quote " back \\ new\nline').inc();
    expect(await registry.render()).toBe(
      [
        '# HELP sluice_things_total Things.\\nCounted.',
        '# TYPE sluice_things_total counter',
        'sluice_things_total{kind="a"} 3',
        'sluice_things_total{kind="quote \\" back \\\\ new\\nline"} 1',
        '',
      ].join('\n'),
    );
  });

  test('the same label values give the same series object', () => {
    const counter = new MetricRegistry().counter('sluice_x_total', 'x', ['a', 'b']);
    expect(counter.labels('1', '2')).toBe(counter.labels('1', '2'));
    expect(counter.labels('1', '2')).not.toBe(counter.labels('12', ''));
  });

  test('histograms are cumulative, end at +Inf, and carry sum and count', async () => {
    const registry = new MetricRegistry();
    const histogram = registry.histogram('sluice_wait_seconds', 'Waits.', ['route'], [0.1, 1]);
    const series = histogram.labels('/x');
    for (const value of [0.05, 0.1, 0.5, 3]) series.observe(value);
    expect(await registry.render()).toBe(
      [
        '# HELP sluice_wait_seconds Waits.',
        '# TYPE sluice_wait_seconds histogram',
        'sluice_wait_seconds_bucket{route="/x",le="0.1"} 2',
        'sluice_wait_seconds_bucket{route="/x",le="1"} 3',
        'sluice_wait_seconds_bucket{route="/x",le="+Inf"} 4',
        'sluice_wait_seconds_sum{route="/x"} 3.65',
        'sluice_wait_seconds_count{route="/x"} 4',
        '',
      ].join('\n'),
    );
  });

  test('past maxSeries, new label combinations share one overflow series', async () => {
    const registry = new MetricRegistry();
    const counter = registry.counter('sluice_keys_total', 'Per key.', ['key_alias'], { maxSeries: 2 });
    for (let index = 0; index < 10; index += 1) counter.labels(`alias-${index}`).inc();
    const text = await registry.render();
    expect(text.split('\n').filter((line) => line.startsWith('sluice_keys_total{'))).toEqual([
      'sluice_keys_total{key_alias="alias-0"} 1',
      'sluice_keys_total{key_alias="alias-1"} 1',
      `sluice_keys_total{key_alias="${OVERFLOW_LABEL}"} 8`,
    ]);
    // Known series keep counting after the cap.
    counter.labels('alias-0').inc();
    expect(await registry.render()).toContain('sluice_keys_total{key_alias="alias-0"} 2');
  });

  test('sampled families are read at render time; one that fails renders empty', async () => {
    const registry = new MetricRegistry();
    let value = 1;
    registry.sampled('sluice_level', 'A level.', 'gauge', ['kind'], () => [[['a'], value]]);
    registry.sampled('sluice_broken', 'Unreadable.', 'gauge', [], () => Promise.reject(new Error('redis down')));
    value = 7;
    const text = await registry.render();
    expect(text).toContain('sluice_level{kind="a"} 7\n');
    expect(text).toContain('# TYPE sluice_broken gauge\n');
    expect(text).not.toMatch(/^sluice_broken /m);
  });

  test('names are checked: counters end in _total, labels are valid and not reserved, no family twice', () => {
    const registry = new MetricRegistry();
    expect(() => registry.counter('sluice_count', 'x')).toThrow(/_total/);
    expect(() => registry.gauge('sluice-bad', 'x')).toThrow(/invalid metric name/);
    expect(() => registry.gauge('sluice_a', 'x', ['le'])).toThrow(/invalid label/);
    expect(() => registry.histogram('sluice_b', 'x', [], [1, 1])).toThrow(/increase/);
    registry.gauge('sluice_c', 'x');
    expect(() => registry.gauge('sluice_c', 'x')).toThrow(/twice/);
    expect(() => registry.counter('sluice_d_total', 'x', ['a']).labels('1', '2')).toThrow(/label values/);
  });
});
