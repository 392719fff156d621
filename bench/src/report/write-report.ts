import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { REPOSITORY_ROOT } from '@sluice/testing';
import type { BenchResults } from '../run-benchmark.js';
import { benchmarksMarkdown } from './benchmarks-markdown.js';
import { latencyPlotSvg } from './latency-plot.js';

const START = '<!-- results:start -->';
const END = '<!-- results:end -->';

/**
 * Writes bench/results/<date>.json and the plot, and replaces the generated section of
 * docs/benchmarks.md; the hand-written parts around it (method, profile findings) stay.
 */
export function writeReport(results: BenchResults): string {
  const day = results.date.slice(0, 10);
  const resultsDir = join(REPOSITORY_ROOT, 'bench', 'results');
  mkdirSync(resultsDir, { recursive: true });
  const resultsFile = `bench/results/${day}.json`;
  writeFileSync(join(REPOSITORY_ROOT, resultsFile), `${JSON.stringify(results, null, 2)}\n`);
  writeFileSync(join(REPOSITORY_ROOT, 'docs', 'benchmarks-latency.svg'), latencyPlotSvg(results));
  const docPath = join(REPOSITORY_ROOT, 'docs', 'benchmarks.md');
  const generated = `${START}\n${benchmarksMarkdown(results, `../${resultsFile}`, 'benchmarks-latency.svg')}\n${END}`;
  const current = existsSync(docPath) ? readFileSync(docPath, 'utf8') : `# Benchmarks\n\n${START}\n${END}\n`;
  const start = current.indexOf(START);
  const end = current.indexOf(END);
  const next = start >= 0 && end > start ? current.slice(0, start) + generated + current.slice(end + END.length) : `${current}\n${generated}\n`;
  writeFileSync(docPath, next);
  return resultsFile;
}
