import { parseArgs } from 'node:util';
import type { Sql, SqlClient } from '@sluice/common';
import { applyLitellmImport, formatImportPlan, type ImportPlan, planLitellmImport } from '../import/litellm-import.js';

export const IMPORT_LITELLM_HELP = `Usage: npm run import-litellm -- --from postgres://user@host:5432/litellm [--dry-run]

Copies a LiteLLM proxy's keys, teams, users, organisations, budgets and memberships from its database
(--from) into Sluice's (DATABASE_URL), with the spend of the current budget period, so keys keep working
and budgets continue. Prints one line per row: create, update, unchanged, merged, or skipped with the
reason. --dry-run prints the same table and writes nothing. Running it again changes nothing.`;

export interface ImportLitellmArguments {
  from: string;
  dryRun: boolean;
}

export function parseImportLitellmArguments(argv: string[]): ImportLitellmArguments {
  const { values } = parseArgs({ args: argv, options: { from: { type: 'string' }, 'dry-run': { type: 'boolean', default: false } }, strict: true });
  if (!values.from) throw new Error('--from is required');
  if (!/^postgres(ql)?:\/\//.test(values.from)) throw new Error('--from must be a postgres:// URL');
  return { from: values.from, dryRun: values['dry-run'] === true };
}

/** Plans, writes unless dry-running, and returns the report. */
export async function importLitellm(source: SqlClient, target: Sql, dryRun: boolean, nowMs = Date.now()): Promise<{ plan: ImportPlan; report: string }> {
  const plan = await planLitellmImport(source, target);
  if (!dryRun) await applyLitellmImport(target, plan, nowMs);
  const report = `${formatImportPlan(plan.actions)}${dryRun ? ' (dry run: nothing written)' : ''}\n`;
  return { plan, report };
}
