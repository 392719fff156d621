// Search and paging over rows already in memory: the lists are loaded whole (up to a few thousand
// entries), so a search covers every field and every page, not just the page the server returned.

export interface Page<Row> {
  rows: Row[];
  /** 1-based, clamped to the pages that exist. */
  page: number;
  pages: number;
  total: number;
  /** 1-based index of the first row shown, 0 when there are none. */
  first: number;
  last: number;
}

export function paginate<Row>(rows: readonly Row[], page: number, size: number): Page<Row> {
  const total = rows.length;
  const pages = Math.max(1, Math.ceil(total / size));
  const current = Math.min(Math.max(1, Math.floor(page) || 1), pages);
  const start = (current - 1) * size;
  const slice = rows.slice(start, start + size);
  return { rows: slice, page: current, pages, total, first: slice.length > 0 ? start + 1 : 0, last: start + slice.length };
}

/** Rows where every word of the query appears (case-insensitively) in one of the row's searchable texts. */
export function search<Row>(rows: readonly Row[], query: string, texts: (row: Row) => ReadonlyArray<string | null | undefined>): Row[] {
  const words = query.toLowerCase().split(/\s+/).filter((word) => word !== '');
  if (words.length === 0) return [...rows];
  return rows.filter((row) => {
    const haystack = texts(row)
      .filter((text): text is string => typeof text === 'string')
      .join('\n')
      .toLowerCase();
    return words.every((word) => haystack.includes(word));
  });
}
