import type { AlertingSettings, GatewayConfig, Logger, Sql } from '@sluice/common';
import type { DailyDelta } from '../ledger/insert-spend-logs.js';
import { type AlertChannel, channelBody, webhookEvent } from './alert-message.js';
import { budgetedEntities, emptyTouched, type TouchedEntities } from './budget-entities-query.js';
import { reachedThresholds } from './budget-thresholds.js';

// Budget alerts, checked by accounting after each ledger commit: it is the one place that sees every
// committed spend. Nothing here is on a request's path (the edge never waits for accounting), and even
// the ledger does not wait: a commit only records which entities it touched; checks run one at a time
// behind it, coalescing whatever commits happened meanwhile. A crossing is claimed in budget_alerts
// (the once-only guard) before it is sent; a send that fails is retried with backoff, and what is still
// undelivered is picked up by a periodic sweep, on this replica or any other, after a restart too.
//
// Every crossing also goes to the 'log' channel, configured or not: one log line and one count in
// sluice_budget_thresholds_total, on whichever replica claims it, so a soft_budget reached is never silent.

const CLAIM = `
INSERT INTO budget_alerts (entity_type, entity_id, period_start, threshold, channel, payload, next_attempt_at)
SELECT entity_type, entity_id, period_start, threshold, channel, payload, now() + make_interval(secs => $2)
FROM jsonb_to_recordset($1::jsonb) AS r(entity_type text, entity_id text, period_start timestamptz, threshold text, channel text, payload jsonb)
ON CONFLICT DO NOTHING
RETURNING entity_type, entity_id, period_start, threshold, channel, payload, attempts`;

const DELIVERED = `
UPDATE budget_alerts SET delivered_at = now(), attempts = attempts + $6, last_error = NULL
WHERE entity_type = $1 AND entity_id = $2 AND period_start = $3 AND threshold = $4 AND channel = $5`;

const FAILED = `
UPDATE budget_alerts SET attempts = attempts + $6, last_error = $7, next_attempt_at = now() + make_interval(secs => $8)
WHERE entity_type = $1 AND entity_id = $2 AND period_start = $3 AND threshold = $4 AND channel = $5`;

// Undelivered rows whose time came; the lease (next_attempt_at moved on) keeps other replicas off them.
const SWEEP = `
UPDATE budget_alerts SET next_attempt_at = now() + make_interval(secs => $1)
WHERE (entity_type, entity_id, period_start, threshold, channel) IN (
  SELECT entity_type, entity_id, period_start, threshold, channel FROM budget_alerts
  WHERE delivered_at IS NULL AND next_attempt_at <= now() AND attempts < $2
  ORDER BY next_attempt_at LIMIT 100 FOR UPDATE SKIP LOCKED)
RETURNING entity_type, entity_id, period_start, threshold, channel, payload, attempts`;

/** After this many attempts in all an alert is given up on (it stays in the table, with its last error). */
const MAX_TOTAL_ATTEMPTS = 50;
const SEND_TIMEOUT_MS = 10_000;

interface ClaimedAlert {
  entity_type: string;
  entity_id: string;
  period_start: Date;
  threshold: string;
  channel: AlertChannel;
  payload: Record<string, unknown>;
  attempts: number;
}

export interface BudgetAlerts {
  /** Records what a commit touched; the check runs after, never holding the commit up. */
  committed(deltas: readonly DailyDelta[]): void;
  /** Resolves once every check and send started so far is over (tests, shutdown). */
  idle(): Promise<void>;
  stop(): Promise<void>;
}

export interface BudgetAlertOptions {
  sql: Sql;
  config: GatewayConfig;
  settings: AlertingSettings;
  logger: Logger;
  sleep?: (ms: number) => Promise<void>;
  /** Counts a crossing this replica claimed (the sluice_budget_thresholds_total metric). */
  onThreshold?: (entityType: string, threshold: string) => void;
}

/** The channels alerts go to: those listed in general_settings.alerting that have a URL. */
export function alertChannels(config: GatewayConfig, settings: AlertingSettings, logger: Logger): Map<AlertChannel, string> {
  const general = config.general_settings;
  const channels = new Map<AlertChannel, string>();
  const types = general?.alert_types;
  if (types && !types.includes('budget_alerts')) return channels;
  for (const name of general?.alerting ?? []) {
    const url = name === 'slack' ? settings.slackWebhookUrl : name === 'webhook' ? settings.webhookUrl : undefined;
    if (name !== 'slack' && name !== 'webhook') {
      logger.warn({ channel: name }, 'alerting channel not supported; ignored');
    } else if (!url) {
      logger.warn({ channel: name }, `alerting: ["${name}"] needs ${name === 'slack' ? 'SLACK_WEBHOOK_URL' : 'WEBHOOK_URL'}; no alerts go there`);
    } else {
      channels.set(name, url);
    }
  }
  return channels;
}

/** Budget alerts: to the configured channels, and always to the log and the metric. */
export function startBudgetAlerts(options: BudgetAlertOptions): BudgetAlerts {
  const { sql, settings, logger } = options;
  const channels = alertChannels(options.config, settings, logger);
  const targets: AlertChannel[] = [...channels.keys(), 'log'];
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms).unref()));
  // While a send is being retried in this process, its row is leased for the whole backoff schedule.
  const leaseSeconds = Math.ceil((settings.retryBaseMs * 2 ** settings.attempts + SEND_TIMEOUT_MS * settings.attempts) / 1000) + 30;
  let pending: TouchedEntities = emptyTouched();
  let anyPending = false;
  let checking: Promise<void> | undefined;
  const sends = new Set<Promise<void>>();
  let stopped = false;

  async function post(url: string, body: Record<string, unknown>): Promise<void> {
    // Off the request path, a few a day: fetch is fine here.
    const response = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
      signal: AbortSignal.timeout(SEND_TIMEOUT_MS),
    });
    await response.arrayBuffer().catch(() => undefined);
    if (response.status >= 300) throw new Error(`HTTP ${response.status}`);
  }

  async function deliver(alert: ClaimedAlert): Promise<void> {
    const url = channels.get(alert.channel);
    const where = [alert.entity_type, alert.entity_id, alert.period_start, alert.threshold, alert.channel];
    if (alert.channel === 'log') {
      // `token` is a key's hash (as in the webhook event), never the key.
      const { event_message: message, spend, max_budget: maxBudget, soft_budget: softBudget, token } = alert.payload;
      logger.warn(
        { entityType: alert.entity_type, entityId: alert.entity_id, token, threshold: alert.threshold, spend, maxBudget, softBudget },
        `budget threshold reached: ${String(message)}`,
      );
      options.onThreshold?.(alert.entity_type, alert.threshold);
      await sql.query(DELIVERED, [...where, 1]);
      return;
    }
    if (!url) return; // A channel since removed from the config: left for a replica that still has it.
    let lastError = '';
    for (let attempt = 1; attempt <= settings.attempts && !stopped; attempt += 1) {
      try {
        await post(url, channelBody(alert.channel, alert.payload));
        await sql.query(DELIVERED, [...where, attempt]);
        logger.info({ entityType: alert.entity_type, entityId: alert.entity_id, threshold: alert.threshold, channel: alert.channel }, 'budget alert sent');
        return;
      } catch (error) {
        // The URL is a secret (a Slack webhook URL is its own credential): never in the log.
        lastError = error instanceof Error ? error.message.slice(0, 200) : 'send failed';
        if (attempt < settings.attempts && !stopped) await sleep(settings.retryBaseMs * 2 ** (attempt - 1));
      }
    }
    const retryInSeconds = Math.ceil(settings.sweepIntervalMs / 1000);
    await sql.query(FAILED, [...where, settings.attempts, lastError, retryInSeconds]).catch(() => undefined);
    logger.warn({ entityType: alert.entity_type, entityId: alert.entity_id, threshold: alert.threshold, channel: alert.channel, error: lastError }, 'budget alert not delivered; will retry');
  }

  function send(alerts: readonly ClaimedAlert[]): void {
    for (const alert of alerts) {
      const sending = deliver(alert).catch((error: unknown) => logger.warn({ err: error }, 'budget alert delivery failed'));
      sends.add(sending);
      void sending.finally(() => sends.delete(sending));
    }
  }

  async function check(touched: TouchedEntities): Promise<void> {
    const entities = await budgetedEntities(sql, touched);
    const claims: Array<Record<string, unknown>> = [];
    for (const entity of entities) {
      const thresholds = reachedThresholds({
        spentMicros: Number(entity.spent_micros),
        maxBudgetMicros: entity.max_budget_micros === null ? null : Number(entity.max_budget_micros),
        softBudgetMicros: entity.soft_budget_micros === null ? null : Number(entity.soft_budget_micros),
      });
      for (const threshold of thresholds) {
        const payload = webhookEvent({ threshold, entity });
        for (const channel of targets) {
          claims.push({ entity_type: entity.entity_type, entity_id: entity.entity_id, period_start: entity.budget_period_start, threshold, channel, payload });
        }
      }
    }
    if (claims.length === 0) return;
    const claimed = await sql.query<ClaimedAlert>(CLAIM, [JSON.stringify(claims), leaseSeconds]);
    send(claimed.rows);
  }

  function schedule(): void {
    if (checking || !anyPending || stopped) return;
    const touched = pending;
    pending = emptyTouched();
    anyPending = false;
    checking = check(touched)
      .catch((error: unknown) => {
        // A failed check is not lost for good: the next commit touching the entity checks it again.
        logger.warn({ err: error }, 'budget alert check failed');
      })
      .finally(() => {
        checking = undefined;
        schedule();
      });
  }

  async function sweep(): Promise<void> {
    try {
      const due = await sql.query<ClaimedAlert>(SWEEP, [leaseSeconds, MAX_TOTAL_ATTEMPTS]);
      send(due.rows);
    } catch (error) {
      logger.warn({ err: error }, 'budget alert sweep failed');
    }
  }
  const sweeper = setInterval(() => void sweep(), settings.sweepIntervalMs);
  sweeper.unref();
  void sweep();

  return {
    committed(deltas) {
      for (const delta of deltas) {
        if (delta.key_hash) pending.key.add(delta.key_hash);
        if (delta.team_id) pending.team.add(delta.team_id);
        if (delta.user_id) pending.user.add(delta.user_id);
        if (delta.organization_id) pending.organization.add(delta.organization_id);
        anyPending = true;
      }
      // After the commit's own work: the batcher acks first.
      setImmediate(schedule);
    },
    async idle() {
      while (checking || sends.size > 0 || anyPending) {
        schedule();
        await Promise.all([checking, ...sends]);
        await new Promise((resolve) => setImmediate(resolve));
      }
    },
    async stop() {
      stopped = true;
      clearInterval(sweeper);
      // A send still backing off is not waited for: its row is retried by the next sweep, anywhere.
      await Promise.race([Promise.all([checking, ...sends]), sleep(2_000)]);
    },
  };
}
