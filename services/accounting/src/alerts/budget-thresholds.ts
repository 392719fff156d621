// Which alert thresholds an entity's spend in its budget period has reached. Percentages of max_budget
// are LiteLLM's budget alert points plus 300% (a runaway loop caught while it runs, not at month end);
// soft_budget alerts once, when spend reaches it.

export const BUDGET_PERCENTS = [50, 80, 100, 300] as const;

/** Threshold names as stored: "50%", "80%", "100%", "300%", "soft". */
export type ThresholdName = `${(typeof BUDGET_PERCENTS)[number]}%` | 'soft';

export interface BudgetState {
  spentMicros: number;
  maxBudgetMicros: number | null;
  softBudgetMicros: number | null;
}

/** Every threshold the spend has reached (not just the newest): a threshold not yet sent is sent once. */
export function reachedThresholds({ spentMicros, maxBudgetMicros, softBudgetMicros }: BudgetState): ThresholdName[] {
  const reached: ThresholdName[] = [];
  if (softBudgetMicros !== null && softBudgetMicros > 0 && spentMicros >= softBudgetMicros) reached.push('soft');
  if (maxBudgetMicros !== null && maxBudgetMicros > 0) {
    // Integer comparison: spent * 100 >= max * percent, so 80% of $0.000003 is never rounded past.
    for (const percent of BUDGET_PERCENTS) if (spentMicros * 100 >= maxBudgetMicros * percent) reached.push(`${percent}%`);
  }
  return reached;
}
