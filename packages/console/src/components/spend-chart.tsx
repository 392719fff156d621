import { useEffect, useRef } from 'preact/hooks';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import { type SpendSeries, stackFromTop } from '../view/spend-report.js';
import { formatAxisUsd, formatUsd } from '../view/format.js';

// Colours that stay apart for the usual forms of colour blindness (Okabe–Ito).
const PALETTE = ['#0072B2', '#E69F00', '#009E73', '#CC79A7', '#56B4E9', '#D55E00', '#F0E442', '#000000', '#999999'];

/** Daily spend as stacked bars, one band per group, with a legend; redrawn when the data or width changes. */
export function SpendChart(props: { data: SpendSeries; title: string }) {
  const container = useRef<HTMLDivElement>(null);
  useEffect(() => {
    const element = container.current;
    if (!element) return;
    const width = () => Math.max(280, element.clientWidth);
    const bars = uPlot.paths.bars!({ size: [0.8, 60] });
    const raw = props.data.series.map((series) => series.usd);
    const halfDay = 43_200;
    const options: uPlot.Options = {
      width: width(),
      height: 280,
      title: props.title,
      // Half a day of room either side, so the first and last bars are not cut in half.
      scales: { x: { time: true, range: (_chart, min, max) => [min - halfDay, max + halfDay] }, y: { range: (_chart, _min, max) => [0, max > 0 ? max * 1.1 : 1] } },
      axes: [{}, { values: (_chart, values, _axis, _space, step) => values.map((value) => formatAxisUsd(value, step)), size: 80 }],
      series: [
        { label: 'Day', value: (_chart, value) => (value == null ? '' : new Date(value * 1000).toISOString().slice(0, 10)) },
        ...props.data.series.map((series, index) => ({
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
    const chart = new uPlot(options, [props.data.x, ...stackFromTop(raw)], element);
    const observer = new ResizeObserver(() => chart.setSize({ width: width(), height: 280 }));
    observer.observe(element);
    return () => {
      observer.disconnect();
      chart.destroy();
    };
  }, [props.data, props.title]);
  return <div ref={container} class="chart" role="img" aria-label={`${props.title}: daily spend chart; the table below has the same numbers`} data-testid="spend-chart" />;
}
