import { describe, expect, test } from 'vitest';
import { paginate, search } from './paging.js';

const rows = Array.from({ length: 45 }, (_, index) => ({ id: index + 1, alias: index % 3 === 0 ? `billing-${index}` : `search-${index}`, team: index % 2 === 0 ? 'Platform' : 'ml' }));

describe('paging', () => {
  test('pages of 20: the rows, their range and the number of pages', () => {
    const second = paginate(rows, 2, 20);
    expect(second.rows.map((row) => row.id)).toEqual(Array.from({ length: 20 }, (_, index) => index + 21));
    expect(second).toMatchObject({ page: 2, pages: 3, total: 45, first: 21, last: 40 });
    expect(paginate(rows, 3, 20)).toMatchObject({ first: 41, last: 45 });
  });

  test('a page past the end (after a search shrank the list) shows the last page; empty lists have one page', () => {
    expect(paginate(rows, 9, 20)).toMatchObject({ page: 3, first: 41 });
    expect(paginate(rows, 0, 20).page).toBe(1);
    expect(paginate([], 4, 20)).toMatchObject({ rows: [], page: 1, pages: 1, total: 0, first: 0, last: 0 });
  });
});

describe('search', () => {
  const texts = (row: (typeof rows)[number]) => [row.alias, row.team, null];

  test('every word must match some field, case-insensitively', () => {
    expect(search(rows, 'BILLING platform', texts).every((row) => row.alias.startsWith('billing') && row.team === 'Platform')).toBe(true);
    expect(search(rows, 'BILLING platform', texts)).toHaveLength(8);
    expect(search(rows, 'billing-3', texts).map((row) => row.id)).toEqual([4, 31, 34, 37, 40]);
  });

  test('an empty query keeps every row (a copy), no match gives none', () => {
    const all = search(rows, '   ', texts);
    expect(all).toHaveLength(45);
    expect(all).not.toBe(rows);
    expect(search(rows, 'nothing-like-this', texts)).toEqual([]);
  });
});
