// A strict reader of the Prometheus text exposition format (0.0.4), for tests: it fails on anything a
// Prometheus server would reject or misread (bad names, bad escapes, a sample before its TYPE, a family
// split in two, duplicate series, histogram buckets that are not cumulative or do not end at +Inf).

export interface PrometheusSample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

export interface PrometheusFamily {
  name: string;
  help: string;
  type: 'counter' | 'gauge' | 'histogram' | 'summary' | 'untyped';
  samples: PrometheusSample[];
}

const METRIC_NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;
const TYPES = new Set(['counter', 'gauge', 'histogram', 'summary', 'untyped']);

function parseValue(text: string, line: string): number {
  if (text === '+Inf' || text === 'Inf') return Number.POSITIVE_INFINITY;
  if (text === '-Inf') return Number.NEGATIVE_INFINITY;
  if (text === 'NaN') return Number.NaN;
  if (!/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(text)) throw new Error(`bad value "${text}" in: ${line}`);
  return Number(text);
}

function parseLabels(text: string, line: string): { labels: Record<string, string>; rest: string } {
  const labels: Record<string, string> = {};
  let index = 1;
  for (;;) {
    while (text[index] === ' ') index += 1;
    if (text[index] === '}') return { labels, rest: text.slice(index + 1) };
    const nameEnd = text.indexOf('=', index);
    if (nameEnd < 0) throw new Error(`bad labels in: ${line}`);
    const name = text.slice(index, nameEnd).trim();
    if (!LABEL_NAME.test(name)) throw new Error(`bad label name "${name}" in: ${line}`);
    if (Object.hasOwn(labels, name)) throw new Error(`label ${name} twice in: ${line}`);
    if (text[nameEnd + 1] !== '"') throw new Error(`unquoted label value in: ${line}`);
    let value = '';
    index = nameEnd + 2;
    for (;;) {
      const char = text[index];
      if (char === undefined) throw new Error(`unterminated label value in: ${line}`);
      if (char === '"') break;
      if (char === '\\') {
        const next = text[index + 1];
        if (next === '\\') value += '\\';
        else if (next === '"') value += '"';
        else if (next === 'n') value += '\n';
        else throw new Error(`bad escape in: ${line}`);
        index += 2;
        continue;
      }
      if (char === '\n') throw new Error(`newline in label value: ${line}`);
      value += char;
      index += 1;
    }
    labels[name] = value;
    index += 1;
    if (text[index] === ',') index += 1;
    else if (text[index] !== '}') throw new Error(`expected , or } in: ${line}`);
  }
}

/** The family a sample line belongs to, by its name and the family's type. */
function familyOf(sampleName: string, families: Map<string, PrometheusFamily>): PrometheusFamily | undefined {
  const direct = families.get(sampleName);
  if (direct) return direct;
  for (const suffix of ['_bucket', '_sum', '_count']) {
    if (!sampleName.endsWith(suffix)) continue;
    const family = families.get(sampleName.slice(0, -suffix.length));
    if (family && (family.type === 'histogram' || (family.type === 'summary' && suffix !== '_bucket'))) return family;
  }
  return undefined;
}

export function parsePrometheusText(text: string): Map<string, PrometheusFamily> {
  if (text !== '' && !text.endsWith('\n')) throw new Error('exposition must end with a newline');
  const families = new Map<string, PrometheusFamily>();
  const finished = new Set<string>();
  const seen = new Set<string>();
  let current: PrometheusFamily | undefined;
  for (const line of text.split('\n')) {
    if (line === '') continue;
    if (line.startsWith('#')) {
      const match = /^# (HELP|TYPE) (\S+) ?(.*)$/.exec(line);
      if (!match) continue;
      const [, kind, name, rest] = match as unknown as [string, string, string, string];
      if (!METRIC_NAME.test(name)) throw new Error(`bad metric name in: ${line}`);
      if (finished.has(name)) throw new Error(`family ${name} appears twice`);
      let family = families.get(name);
      if (!family) {
        if (current) finished.add(current.name);
        family = { name, help: '', type: 'untyped', samples: [] };
        families.set(name, family);
        current = family;
      }
      if (kind === 'HELP') family.help = rest.replace(/\\n/g, '\n').replace(/\\\\/g, '\\');
      else {
        if (!TYPES.has(rest)) throw new Error(`bad type in: ${line}`);
        if (family.samples.length > 0) throw new Error(`TYPE after samples of ${name}`);
        family.type = rest as PrometheusFamily['type'];
      }
      continue;
    }
    const nameMatch = /^[a-zA-Z_:][a-zA-Z0-9_:]*/.exec(line);
    if (!nameMatch) throw new Error(`bad sample line: ${line}`);
    const name = nameMatch[0];
    let rest = line.slice(name.length);
    let labels: Record<string, string> = {};
    if (rest.startsWith('{')) ({ labels, rest } = parseLabels(rest, line));
    const fields = rest.trim().split(/\s+/);
    if (fields.length < 1 || fields.length > 2 || fields[0] === '') throw new Error(`bad sample line: ${line}`);
    const value = parseValue(fields[0]!, line);
    const family = familyOf(name, families);
    if (!family) throw new Error(`sample ${name} has no TYPE before it`);
    if (family !== current) throw new Error(`samples of ${family.name} are not together`);
    const id = `${name}${JSON.stringify(Object.entries(labels).sort())}`;
    if (seen.has(id)) throw new Error(`duplicate series: ${line}`);
    seen.add(id);
    family.samples.push({ name, labels, value });
  }
  for (const family of families.values()) if (family.type === 'histogram') checkHistogram(family);
  return families;
}

function checkHistogram(family: PrometheusFamily): void {
  const series = new Map<string, { buckets: Array<[number, number]>; count?: number }>();
  for (const sample of family.samples) {
    const { le, ...rest } = sample.labels;
    const key = JSON.stringify(Object.entries(rest).sort());
    const entry = series.get(key) ?? { buckets: [] };
    series.set(key, entry);
    if (sample.name === `${family.name}_bucket`) {
      if (le === undefined) throw new Error(`${family.name}: bucket without le`);
      entry.buckets.push([parseValue(le, le), sample.value]);
    } else if (sample.name === `${family.name}_count`) entry.count = sample.value;
  }
  for (const entry of series.values()) {
    const last = entry.buckets.at(-1);
    if (!last || last[0] !== Number.POSITIVE_INFINITY) throw new Error(`${family.name}: buckets must end with le="+Inf"`);
    for (let index = 1; index < entry.buckets.length; index += 1) {
      if (entry.buckets[index]![0] <= entry.buckets[index - 1]![0]) throw new Error(`${family.name}: le must increase`);
      if (entry.buckets[index]![1] < entry.buckets[index - 1]![1]) throw new Error(`${family.name}: buckets must be cumulative`);
    }
    if (entry.count !== last[1]) throw new Error(`${family.name}: _count must equal the +Inf bucket`);
  }
}

/** The sum of a sample over every series whose labels include `labels` (0 when there is none). */
export function sampleValue(families: Map<string, PrometheusFamily>, name: string, labels: Record<string, string> = {}): number {
  let total = 0;
  for (const family of families.values()) {
    for (const sample of family.samples) {
      if (sample.name !== name) continue;
      if (Object.entries(labels).every(([key, value]) => sample.labels[key] === value)) total += sample.value;
    }
  }
  return total;
}

/** GET /metrics of a service, parsed (fails the test when it does not parse). */
export async function scrapeMetrics(url: string): Promise<Map<string, PrometheusFamily>> {
  const response = await fetch(url);
  if (response.status !== 200) throw new Error(`${url}: HTTP ${response.status}`);
  const type = response.headers.get('content-type') ?? '';
  if (!type.startsWith('text/plain')) throw new Error(`${url}: content-type ${type}`);
  return parsePrometheusText(await response.text());
}
