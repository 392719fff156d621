import { describe, expect, test } from 'vitest';
import { reachedThresholds } from './budget-thresholds.js';

describe('reachedThresholds', () => {
  test('each percentage of max_budget counts from exactly that spend', () => {
    const at = (spentMicros: number) => reachedThresholds({ spentMicros, maxBudgetMicros: 10_000_000, softBudgetMicros: null });
    expect(at(4_999_999)).toEqual([]);
    expect(at(5_000_000)).toEqual(['50%']);
    expect(at(8_000_000)).toEqual(['50%', '80%']);
    expect(at(10_000_000)).toEqual(['50%', '80%', '100%']);
    expect(at(29_999_999)).toEqual(['50%', '80%', '100%']);
    expect(at(30_000_000)).toEqual(['50%', '80%', '100%', '300%']);
  });

  test('soft_budget alone, and no budget at all', () => {
    expect(reachedThresholds({ spentMicros: 2, maxBudgetMicros: null, softBudgetMicros: 3 })).toEqual([]);
    expect(reachedThresholds({ spentMicros: 3, maxBudgetMicros: null, softBudgetMicros: 3 })).toEqual(['soft']);
    expect(reachedThresholds({ spentMicros: 3, maxBudgetMicros: 100, softBudgetMicros: 3 })).toEqual(['soft']);
    expect(reachedThresholds({ spentMicros: 1_000, maxBudgetMicros: null, softBudgetMicros: null })).toEqual([]);
  });

  test('a zero budget (nothing allowed) raises no percentage alerts', () => {
    expect(reachedThresholds({ spentMicros: 0, maxBudgetMicros: 0, softBudgetMicros: 0 })).toEqual([]);
  });
});
