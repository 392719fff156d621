import { type IntervalHistogram, monitorEventLoopDelay } from 'node:perf_hooks';
import { registerConfigReloadMetrics } from '../config/config-reload-metrics.js';
import type { MetricRegistry } from './metric-registry.js';

// The usual process and Node.js families, under the names the standard Prometheus client uses, so
// existing dashboards and alerts work. Read at scrape time; nothing runs per request.

let loopDelay: IntervalHistogram | undefined;

const NANOSECONDS = 1e9;

export function registerProcessMetrics(registry: MetricRegistry): void {
  // One monitor per process (embedded mode has four registries): 20 ms resolution is a timer, not a hook.
  if (!loopDelay) {
    loopDelay = monitorEventLoopDelay({ resolution: 20 });
    loopDelay.enable();
  }
  const delay = loopDelay;
  // Every service runs on a config file it may reload live (issue 21).
  registerConfigReloadMetrics(registry);
  const startSeconds = Math.round((Date.now() - performance.now()) / 1000);
  registry.sampled('process_cpu_user_seconds_total', 'User CPU time spent, in seconds.', 'counter', [], () => [[[], process.cpuUsage().user / 1e6]]);
  registry.sampled('process_cpu_system_seconds_total', 'System CPU time spent, in seconds.', 'counter', [], () => [[[], process.cpuUsage().system / 1e6]]);
  registry.sampled('process_cpu_seconds_total', 'User and system CPU time spent, in seconds.', 'counter', [], () => {
    const usage = process.cpuUsage();
    return [[[], (usage.user + usage.system) / 1e6]];
  });
  registry.sampled('process_resident_memory_bytes', 'Resident memory size, in bytes.', 'gauge', [], () => [[[], process.memoryUsage.rss()]]);
  registry.sampled('process_start_time_seconds', 'Start time of the process since the Unix epoch, in seconds.', 'gauge', [], () => [[[], startSeconds]]);
  registry.sampled('nodejs_heap_size_used_bytes', 'V8 heap in use, in bytes.', 'gauge', [], () => [[[], process.memoryUsage().heapUsed]]);
  registry.sampled('nodejs_heap_size_total_bytes', 'V8 heap allocated, in bytes.', 'gauge', [], () => [[[], process.memoryUsage().heapTotal]]);
  registry.sampled('nodejs_external_memory_bytes', 'Memory of C++ objects bound to JavaScript objects (buffers), in bytes.', 'gauge', [], () => [
    [[], process.memoryUsage().external],
  ]);
  // The lag figures cover the time since the previous scrape (of any registry of this process).
  registry.sampled('nodejs_eventloop_lag_seconds', 'Mean event-loop delay since the last scrape, in seconds.', 'gauge', [], () => {
    const mean = Number.isNaN(delay.mean) ? 0 : delay.mean / NANOSECONDS;
    return [[[], mean]];
  });
  registry.sampled('nodejs_eventloop_lag_p99_seconds', '99th percentile of the event-loop delay since the last scrape, in seconds.', 'gauge', [], () => [
    [[], delay.count > 0 ? delay.percentile(99) / NANOSECONDS : 0],
  ]);
  registry.sampled('nodejs_eventloop_lag_max_seconds', 'Longest event-loop delay since the last scrape, in seconds.', 'gauge', [], () => {
    const max = delay.count > 0 ? delay.max / NANOSECONDS : 0;
    // Read last among the lag families: start the next interval.
    delay.reset();
    return [[[], max]];
  });
}
