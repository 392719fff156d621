import type { Migration } from '../migrate.js';
import { spendLogs } from './0001-spend-logs.js';
import { policyEntities } from './0100-policy-entities.js';
import { spendAggregates } from './0200-spend-aggregates.js';
import { usageDeadLetters } from './0201-usage-dead-letters.js';
import { traceOutbox } from './0202-trace-outbox.js';
import { allowedCacheControls } from './0300-allowed-cache-controls.js';
import { costNanos } from './0400-cost-nanos.js';
import { storedResponses } from './0420-stored-responses.js';
import { storedResponseDeployment } from './0425-stored-response-deployment.js';
import { configClientKeys } from './0430-config-client-keys.js';
import { importedKeys } from './0410-imported-keys.js';
import { litellmViews } from './0480-litellm-views.js';
import { keyRouteAccess } from './0412-key-route-access.js';
import { budgetAlerts } from './0470-budget-alerts.js';
import { bigintTokenCounts } from './0440-bigint-token-counts.js';
import { budgetsEndUsersTags } from './0490-budgets-end-users-tags.js';
import { tagEndUserAggregates } from './0495-tag-end-user-aggregates.js';
import { teamModelAliases } from './0496-team-model-aliases.js';
import { keyPermissions } from './0497-key-permissions.js';
import { proxyModels } from './0500-proxy-models.js';
import { partitionedSpendLogs } from './0510-partitioned-spend-logs.js';
import { fastDailyReports } from './0515-fast-daily-reports.js';
import { tagReportAggregate } from './0516-tag-report-aggregate.js';

// Version ranges keep parallel work from colliding: 1-99 core, 100-199 policy (keys, teams, budgets),
// 200-299 accounting (aggregates, dead letters, exports), 300-399 router and cache, 400-409 pricing,
// 410-419 moving from LiteLLM (imported keys), 420-429 inbound formats, 430-439 small-team deployments,
// 440-449 hardening, 470-479 alerts, 480 the LiteLLM-named views (after the column changes they read),
// 490-499 LiteLLM admin fields (budgets, end users, tags, aggregates) that came after the views,
// 500-509 models in the database, 510-519 the ledger over years (monthly partitions, retention).
export const MIGRATIONS: readonly Migration[] = [
  spendLogs,
  policyEntities,
  spendAggregates,
  usageDeadLetters,
  traceOutbox,
  allowedCacheControls,
  costNanos,
  importedKeys,
  keyRouteAccess,
  storedResponses,
  storedResponseDeployment,
  configClientKeys,
  bigintTokenCounts,
  budgetAlerts,
  litellmViews,
  budgetsEndUsersTags,
  tagEndUserAggregates,
  teamModelAliases,
  keyPermissions,
  proxyModels,
  partitionedSpendLogs,
  fastDailyReports,
  tagReportAggregate,
];
