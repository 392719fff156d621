import { useEffect, useRef } from 'preact/hooks';
import type { SpendSeries } from '../view/spend-report.js';

/** Daily spend as stacked bars, one band per group, with a legend; redrawn when the data or width changes. */
export function SpendChart(props: { data: SpendSeries; title: string }) {
  const container = useRef<HTMLDivElement>(null);
  useEffect(() => {
    const element = container.current;
    if (!element) return;
    let cleanUp: (() => void) | undefined;
    let cancelled = false;
    // The chart library is loaded the first time a chart is drawn, keeping it out of the first page load.
    void import('./spend-chart-drawing.js').then(({ drawSpendChart }) => {
      if (!cancelled) cleanUp = drawSpendChart(element, props.data, props.title);
    });
    return () => {
      cancelled = true;
      cleanUp?.();
    };
  }, [props.data, props.title]);
  return <div ref={container} class="chart" role="img" aria-label={`${props.title}: daily spend chart; the table below has the same numbers`} data-testid="spend-chart" />;
}
