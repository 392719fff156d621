// npm run bench [-- --quick] [--rates 100,200,500] [--duration 10] [--rounds 3] [--soak-seconds 300]
//                [--latency-ms 0] [--no-portkey] [--no-edge-router] [--profile DIR] [--no-write]
import { parseBenchOptions } from './bench-options.js';
import { benchmarksMarkdown } from './report/benchmarks-markdown.js';
import { writeReport } from './report/write-report.js';
import { runBenchmark } from './run-benchmark.js';

const argv = process.argv.slice(2);
const options = parseBenchOptions(argv);
const results = await runBenchmark(options, ['npm run bench', ...(argv.length > 0 ? ['--', ...argv] : [])].join(' '));
process.stdout.write(`${benchmarksMarkdown(results, '(not written)', 'benchmarks-latency.svg')}\n`);
if (options.write) process.stderr.write(`bench: wrote ${writeReport(results)} and docs/benchmarks.md\n`);
process.exit(0);
