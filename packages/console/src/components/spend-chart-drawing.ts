// uPlot and its stylesheet, in a chunk of their own: only the Spend page loads them.
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import { formatAxisUsd, formatUsd } from '../view/format.js';
import { type SpendSeries, stackFromTop } from '../view/spend-report.js';

// Colours that stay apart for the usual forms of colour blindness (Okabe–Ito).
const PALETTE = ['#0072B2', '#E69F00', '#009E73', '#CC79A7', '#56B4E9', '#D55E00', '#F0E442', '#000000', '#999999'];
const HEIGHT = 280;
const HALF_DAY = 43_200;

/** Draws daily spend as stacked bars into `element`, following its width; returns the clean-up. */
export function drawSpendChart(element: HTMLElement, data: SpendSeries, title: string): () => void {
  const width = () => Math.max(280, element.clientWidth);
  const bars = uPlot.paths.bars!({ size: [0.8, 60] });
  const raw = data.series.map((series) => series.usd);
  const options: uPlot.Options = {
    width: width(),
    height: HEIGHT,
    title,
    // Half a day of room either side, so the first and last bars are not cut in half.
    scales: { x: { time: true, range: (_chart, min, max) => [min - HALF_DAY, max + HALF_DAY] }, y: { range: (_chart, _min, max) => [0, max > 0 ? max * 1.1 : 1] } },
    axes: [{}, { values: (_chart, values, _axis, _space, step) => values.map((value) => formatAxisUsd(value, step)), size: 80 }],
    series: [
      { label: 'Day', value: (_chart, value) => (value == null ? '' : new Date(value * 1000).toISOString().slice(0, 10)) },
      ...data.series.map((series, index) => ({
        label: series.label,
        stroke: PALETTE[index % PALETTE.length],
        fill: `${PALETTE[index % PALETTE.length]}99`,
        paths: bars,
        points: { show: false },
        // The legend shows the group's own amount, not the stacked height.
        value: (_chart: uPlot, _value: number | null, _series: number, day: number | null) =>
          day == null ? '' : formatUsd(Math.round(raw[index]![day]! * 1_000_000)),
      })),
    ],
  };
  const chart = new uPlot(options, [data.x, ...stackFromTop(raw)], element);
  const observer = new ResizeObserver(() => chart.setSize({ width: width(), height: HEIGHT }));
  observer.observe(element);
  return () => {
    observer.disconnect();
    chart.destroy();
  };
}
