import type { ComponentChildren } from 'preact';
import type { Page } from '../view/paging.js';

export interface Column<Row> {
  label: string;
  cell: (row: Row) => ComponentChildren;
  /** Right-aligned numbers. */
  numeric?: boolean;
}

/** A table that becomes one card per row on a narrow screen (each cell labelled by its column). */
export function DataTable<Row>(props: { caption: string; columns: Column<Row>[]; rows: Row[]; rowKey: (row: Row) => string; empty: string }) {
  return (
    <div class="table-wrap">
      <table>
        <caption class="visually-hidden">{props.caption}</caption>
        <thead>
          <tr>
            {props.columns.map((column) => (
              <th scope="col" class={column.numeric ? 'numeric' : undefined}>{column.label}</th>
            ))}
          </tr>
        </thead>
        <tbody>
          {props.rows.length === 0 ? (
            <tr>
              <td colSpan={props.columns.length} class="empty">{props.empty}</td>
            </tr>
          ) : (
            props.rows.map((row) => (
              <tr key={props.rowKey(row)}>
                {props.columns.map((column) => (
                  <td data-label={column.label} class={column.numeric ? 'numeric' : undefined}>{column.cell(row)}</td>
                ))}
              </tr>
            ))
          )}
        </tbody>
      </table>
    </div>
  );
}

export function Pager<Row>(props: { page: Page<Row>; onPage: (page: number) => void }) {
  const { page } = props;
  return (
    <nav class="pager" aria-label="Pages">
      <span aria-live="polite">{page.total === 0 ? 'No rows' : `${page.first}–${page.last} of ${page.total}`}</span>
      <button type="button" disabled={page.page <= 1} onClick={() => props.onPage(page.page - 1)}>Previous</button>
      <span>Page {page.page} of {page.pages}</span>
      <button type="button" disabled={page.page >= page.pages} onClick={() => props.onPage(page.page + 1)}>Next</button>
    </nav>
  );
}

/** Spend against a budget: a meter (read out by screen readers) and the two amounts. */
export function BudgetBar(props: { spend: number | null | undefined; max: number | null | undefined; spendText: string; maxText: string }) {
  if (props.max === null || props.max === undefined) return <span>{props.spendText} <span class="muted">/ no cap</span></span>;
  return (
    <span class="budget">
      <meter min={0} max={props.max} low={props.max * 0.75} high={props.max * 0.9} optimum={0} value={Math.min(props.spend ?? 0, props.max)} aria-label="Budget used" />
      <span>{props.spendText} / {props.maxText}</span>
    </span>
  );
}
