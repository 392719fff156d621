import type { BenchResults } from '../run-benchmark.js';

const WIDTH = 780;
const HEIGHT = 400;
const MARGIN = { left: 60, right: 220, top: 30, bottom: 50 };
const COLORS: Record<string, string> = { direct: '#555555', sluice: '#1f77b4', 'sluice-edge-router': '#2ca02c', portkey: '#d62728' };

/** An SVG of non-streaming p50 and p99 latency against request rate for every target (log-scale y). */
export function latencyPlotSvg(results: BenchResults): string {
  const points = results.latency.filter((point) => !point.stream);
  const rates = [...new Set(points.map((point) => point.rate))].sort((a, b) => a - b);
  const values = points.flatMap((point) => [point.p50.median, point.p99.median]).filter((value) => value > 0);
  const low = Math.log10(Math.max(0.05, Math.min(...values) * 0.8));
  const high = Math.log10(Math.max(...values) * 1.25);
  const plotWidth = WIDTH - MARGIN.left - MARGIN.right;
  const plotHeight = HEIGHT - MARGIN.top - MARGIN.bottom;
  const x = (rate: number) => MARGIN.left + (rates.length === 1 ? plotWidth / 2 : (rates.indexOf(rate) / (rates.length - 1)) * plotWidth);
  const y = (ms: number) => MARGIN.top + plotHeight - ((Math.log10(Math.max(ms, 0.05)) - low) / (high - low)) * plotHeight;
  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${HEIGHT}" font-family="sans-serif" font-size="12">`,
    `<rect width="${WIDTH}" height="${HEIGHT}" fill="white"/>`,
    `<text x="${MARGIN.left}" y="18" font-size="14">Latency against request rate (non-streaming, median of rounds)</text>`,
    `<line x1="${MARGIN.left}" y1="${MARGIN.top + plotHeight}" x2="${MARGIN.left + plotWidth}" y2="${MARGIN.top + plotHeight}" stroke="black"/>`,
    `<line x1="${MARGIN.left}" y1="${MARGIN.top}" x2="${MARGIN.left}" y2="${MARGIN.top + plotHeight}" stroke="black"/>`,
    `<text x="${MARGIN.left + plotWidth / 2}" y="${HEIGHT - 12}" text-anchor="middle">requests per second</text>`,
    `<text x="16" y="${MARGIN.top + plotHeight / 2}" transform="rotate(-90 16 ${MARGIN.top + plotHeight / 2})" text-anchor="middle">ms (log scale)</text>`,
  ];
  for (const rate of rates) {
    parts.push(`<text x="${x(rate)}" y="${MARGIN.top + plotHeight + 18}" text-anchor="middle">${rate}</text>`);
  }
  for (let exponent = Math.ceil(low); exponent <= Math.floor(high); exponent += 1) {
    const value = 10 ** exponent;
    parts.push(`<line x1="${MARGIN.left - 4}" y1="${y(value)}" x2="${MARGIN.left + plotWidth}" y2="${y(value)}" stroke="#dddddd"/>`);
    parts.push(`<text x="${MARGIN.left - 8}" y="${y(value) + 4}" text-anchor="end">${value}</text>`);
  }
  let legend = 0;
  for (const target of ['direct', 'sluice', 'sluice-edge-router', 'portkey'] as const) {
    for (const [key, dash] of [['p50', ''], ['p99', '6 4']] as const) {
      const series = rates
        .map((rate) => points.find((point) => point.target === target && point.rate === rate))
        .filter((point): point is NonNullable<typeof point> => point !== undefined);
      if (series.length === 0) continue;
      const path = series.map((point) => `${x(point.rate).toFixed(1)},${y(point[key].median).toFixed(1)}`).join(' ');
      parts.push(`<polyline points="${path}" fill="none" stroke="${COLORS[target]}" stroke-width="2" stroke-dasharray="${dash}"/>`);
      for (const point of series) parts.push(`<circle cx="${x(point.rate)}" cy="${y(point[key].median)}" r="3" fill="${COLORS[target]}"/>`);
      const legendY = MARGIN.top + 10 + legend * 18;
      parts.push(`<line x1="${WIDTH - MARGIN.right + 15}" y1="${legendY}" x2="${WIDTH - MARGIN.right + 45}" y2="${legendY}" stroke="${COLORS[target]}" stroke-width="2" stroke-dasharray="${dash}"/>`);
      parts.push(`<text x="${WIDTH - MARGIN.right + 52}" y="${legendY + 4}">${target} ${key}</text>`);
      legend += 1;
    }
  }
  parts.push('</svg>');
  return `${parts.join('\n')}\n`;
}
