// A small Prometheus registry, built for the request path: a series is looked up once per label
// combination and then costs an addition per update (no label hashing or sorting per call, unlike the
// general-purpose clients). Values computed at scrape time (memory, queue lag, budgets) are `sampled`
// families. Rendered in the Prometheus text exposition format 0.0.4.

export type MetricType = 'counter' | 'gauge' | 'histogram';

/** Label values of a series, in the order of the family's label names. */
export type LabelValues = readonly string[];

/** A sampled value: label values (in label-name order) and the number. */
export type Sample = readonly [LabelValues, number];

/**
 * A family takes at most this many label combinations; later new combinations all land in one series
 * whose labels read "__overflow__", so a flood of distinct values cannot grow memory or a scrape.
 */
export const DEFAULT_MAX_SERIES = 2_000;
export const OVERFLOW_LABEL = '__overflow__';

function escapeLabel(value: string): string {
  return value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
}

function escapeHelp(value: string): string {
  return value.replace(/\\/g, '\\\\').replace(/\n/g, '\\n');
}

function formatValue(value: number): string {
  if (Number.isNaN(value)) return 'NaN';
  if (value === Number.POSITIVE_INFINITY) return '+Inf';
  if (value === Number.NEGATIVE_INFINITY) return '-Inf';
  return String(value);
}

/** `a="x",b="y"` for the label names and values (no braces). */
function labelPairs(names: readonly string[], values: LabelValues): string {
  let pairs = '';
  for (let index = 0; index < names.length; index += 1) {
    if (index > 0) pairs += ',';
    pairs += `${names[index]}="${escapeLabel(values[index] ?? '')}"`;
  }
  return pairs;
}

const NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

abstract class Family<Series> {
  protected readonly series = new Map<string, Series>();
  private overflow: Series | undefined;

  constructor(
    readonly name: string,
    readonly help: string,
    readonly labelNames: readonly string[],
    private readonly maxSeries: number,
  ) {
    if (!NAME.test(name)) throw new Error(`invalid metric name ${name}`);
    for (const label of labelNames) {
      if (!LABEL_NAME.test(label) || label.startsWith('__') || label === 'le') throw new Error(`invalid label name ${label} on ${name}`);
    }
  }

  protected abstract create(pairs: string): Series;

  /** The series for these label values (created on first use). Keep the result where you can. */
  labels(...values: string[]): Series {
    const key = values.length === 1 ? values[0]! : values.join('\u0001');
    let found = this.series.get(key);
    if (found) return found;
    if (values.length !== this.labelNames.length) {
      throw new Error(`${this.name} takes ${this.labelNames.length} label values, got ${values.length}`);
    }
    if (this.series.size >= this.maxSeries) {
      this.overflow ??= this.create(labelPairs(this.labelNames, this.labelNames.map(() => OVERFLOW_LABEL)));
      return this.overflow;
    }
    found = this.create(labelPairs(this.labelNames, values));
    this.series.set(key, found);
    return found;
  }

  protected all(): Series[] {
    const list = [...this.series.values()];
    if (this.overflow) list.push(this.overflow);
    return list;
  }

  abstract render(): string;

  protected header(type: MetricType): string {
    return `# HELP ${this.name} ${escapeHelp(this.help)}\n# TYPE ${this.name} ${type}\n`;
  }
}

export class CounterSeries {
  value = 0;
  constructor(readonly pairs: string) {}
  inc(amount = 1): void {
    this.value += amount;
  }
}

export class Counter extends Family<CounterSeries> {
  protected create(pairs: string): CounterSeries {
    return new CounterSeries(pairs);
  }

  render(): string {
    let text = this.header('counter');
    for (const series of this.all()) text += `${this.name}${series.pairs ? `{${series.pairs}}` : ''} ${formatValue(series.value)}\n`;
    return text;
  }
}

export class GaugeSeries {
  value = 0;
  constructor(readonly pairs: string) {}
  set(value: number): void {
    this.value = value;
  }
  inc(amount = 1): void {
    this.value += amount;
  }
  dec(amount = 1): void {
    this.value -= amount;
  }
}

export class Gauge extends Family<GaugeSeries> {
  protected create(pairs: string): GaugeSeries {
    return new GaugeSeries(pairs);
  }

  render(): string {
    let text = this.header('gauge');
    for (const series of this.all()) text += `${this.name}${series.pairs ? `{${series.pairs}}` : ''} ${formatValue(series.value)}\n`;
    return text;
  }
}

export class HistogramSeries {
  /** Observations per bucket (not cumulative); the last one is +Inf. */
  readonly counts: Float64Array;
  sum = 0;
  count = 0;

  constructor(
    readonly pairs: string,
    private readonly bounds: readonly number[],
  ) {
    this.counts = new Float64Array(bounds.length + 1);
  }

  observe(value: number): void {
    const bounds = this.bounds;
    let index = 0;
    while (index < bounds.length && value > bounds[index]!) index += 1;
    this.counts[index]! += 1;
    this.sum += value;
    this.count += 1;
  }
}

export class Histogram extends Family<HistogramSeries> {
  private readonly bucketLabels: string[];

  constructor(name: string, help: string, labelNames: readonly string[], maxSeries: number, readonly bounds: readonly number[]) {
    super(name, help, labelNames, maxSeries);
    for (let index = 1; index < bounds.length; index += 1) {
      if (!(bounds[index]! > bounds[index - 1]!)) throw new Error(`${name}: buckets must increase`);
    }
    this.bucketLabels = [...bounds.map((bound) => formatValue(bound)), '+Inf'];
  }

  protected create(pairs: string): HistogramSeries {
    return new HistogramSeries(pairs, this.bounds);
  }

  render(): string {
    let text = this.header('histogram');
    for (const series of this.all()) {
      const prefix = series.pairs ? `${series.pairs},` : '';
      let cumulative = 0;
      for (let index = 0; index < this.bucketLabels.length; index += 1) {
        cumulative += series.counts[index]!;
        text += `${this.name}_bucket{${prefix}le="${this.bucketLabels[index]}"} ${cumulative}\n`;
      }
      const labels = series.pairs ? `{${series.pairs}}` : '';
      text += `${this.name}_sum${labels} ${formatValue(series.sum)}\n${this.name}_count${labels} ${series.count}\n`;
    }
    return text;
  }
}

/** A family whose values are read when scraped (memory, lag, budgets); `collect` returns every series. */
class Sampled {
  constructor(
    readonly name: string,
    readonly help: string,
    readonly type: 'counter' | 'gauge',
    readonly labelNames: readonly string[],
    private readonly collect: () => readonly Sample[] | Promise<readonly Sample[]>,
    private readonly maxSeries: number,
  ) {
    if (!NAME.test(name)) throw new Error(`invalid metric name ${name}`);
  }

  async render(): Promise<string> {
    let samples: readonly Sample[];
    try {
      samples = await this.collect();
    } catch {
      // A source that cannot be read now (Redis down) leaves its family empty for this scrape.
      samples = [];
    }
    let text = `# HELP ${this.name} ${escapeHelp(this.help)}\n# TYPE ${this.name} ${this.type}\n`;
    for (const [values, value] of samples.slice(0, this.maxSeries)) {
      const pairs = labelPairs(this.labelNames, values);
      text += `${this.name}${pairs ? `{${pairs}}` : ''} ${formatValue(value)}\n`;
    }
    return text;
  }
}

export interface FamilyOptions {
  maxSeries?: number;
}

/** One service's metrics; `render` is what GET /metrics answers. */
export class MetricRegistry {
  private readonly families: Array<Family<unknown> | Sampled> = [];
  private readonly names = new Set<string>();
  private readonly scrapeHooks: Array<() => void> = [];

  /** Runs at the start of every render: a source read by several families drops its last snapshot. */
  onScrape(hook: () => void): void {
    this.scrapeHooks.push(hook);
  }

  private add<T extends Family<unknown> | Sampled>(family: T): T {
    if (this.names.has(family.name)) throw new Error(`metric ${family.name} registered twice`);
    this.names.add(family.name);
    this.families.push(family);
    return family;
  }

  counter(name: string, help: string, labelNames: readonly string[] = [], options: FamilyOptions = {}): Counter {
    if (!name.endsWith('_total')) throw new Error(`counter ${name} must end in _total`);
    return this.add(new Counter(name, help, labelNames, options.maxSeries ?? DEFAULT_MAX_SERIES));
  }

  gauge(name: string, help: string, labelNames: readonly string[] = [], options: FamilyOptions = {}): Gauge {
    return this.add(new Gauge(name, help, labelNames, options.maxSeries ?? DEFAULT_MAX_SERIES));
  }

  histogram(name: string, help: string, labelNames: readonly string[], buckets: readonly number[], options: FamilyOptions = {}): Histogram {
    return this.add(new Histogram(name, help, labelNames, options.maxSeries ?? DEFAULT_MAX_SERIES, buckets));
  }

  sampled(
    name: string,
    help: string,
    type: 'counter' | 'gauge',
    labelNames: readonly string[],
    collect: () => readonly Sample[] | Promise<readonly Sample[]>,
    options: FamilyOptions = {},
  ): void {
    this.add(new Sampled(name, help, type, labelNames, collect, options.maxSeries ?? DEFAULT_MAX_SERIES));
  }

  async render(): Promise<string> {
    for (const hook of this.scrapeHooks) hook();
    const parts = await Promise.all(this.families.map((family) => family.render()));
    return parts.join('');
  }
}

/** Seconds: request durations and time to first token. */
export const LATENCY_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300] as const;
/** Seconds: the gateway's own time per request (target: well under a millisecond). */
export const OVERHEAD_BUCKETS = [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25] as const;
/** Seconds: a Redis command or a Postgres query. */
export const BACKEND_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 10] as const;
