import type { Migration } from '../migrate.js';
import { FINANCE_VIEWS, LITELLM_VIEWS_SQL } from './0480-litellm-views.js';
import { KEY_PERMISSIONS_VIEW_SQL } from './0497-key-permissions.js';

// spend_logs partitioned by month of the request's start time (UTC), so a year of traffic is twelve tables
// that queries with a time range prune to, and retention drops a whole month with DROP TABLE instead of
// deleting rows. The aggregates (spend_daily, spend_by_*) stay one table each and are never dropped.
//
// Exactly once: a partitioned table's unique keys must include the partition key, so the idempotency key
// becomes (request_id, start_time). That dedupes exactly as request_id alone did, because start_time is
// part of the event: the edge fixes it when the request starts, and every delivery of the event (NATS
// redelivery, a duplicate publish, a publish the edge retried) carries the same bytes, hence the same
// start_time and the same partition. A separate dedupe table would have cost a second unique index
// insert per row and would have had to be pruned in step with the partitions.
//
// spend_logs_default takes rows no monthly partition covers (a clock far off, a month accounting has not
// made yet); spend_logs_ensure_partition moves such rows into the month's table when it is made.
//
// The conversion copies the table as the catalogue has it (columns, defaults, constraints, and every
// index but the primary key), so columns added by other migrations come along. The views that read
// spend_logs cannot outlive the old table: all of 0480's views are dropped and created again from 0480's
// SQL (which also grants them to sluice_finance again).

/** Makes the month's partition (with the month's rows that went to the default partition); true if new. */
const ENSURE_PARTITION = `
CREATE FUNCTION spend_logs_ensure_partition(month date) RETURNS boolean LANGUAGE plpgsql AS $fn$
DECLARE
  first_day date := date_trunc('month', month)::date;
  partition_name text := 'spend_logs_' || to_char(first_day, 'YYYY_MM');
  lower_bound timestamptz := first_day::timestamp AT TIME ZONE 'UTC';
  upper_bound timestamptz := (first_day + interval '1 month')::timestamp AT TIME ZONE 'UTC';
BEGIN
  IF to_regclass(quote_ident(partition_name)) IS NOT NULL THEN
    RETURN false;
  END IF;
  -- Made apart and then attached: ATTACH PARTITION takes a lock on spend_logs that lets inserts and
  -- reports go on (CREATE TABLE ... PARTITION OF would block them while it runs).
  EXECUTE format('CREATE TABLE %I (LIKE spend_logs INCLUDING DEFAULTS INCLUDING CONSTRAINTS INCLUDING STORAGE)', partition_name);
  IF to_regclass('spend_logs_default') IS NOT NULL THEN
    EXECUTE format('WITH moved AS (DELETE FROM spend_logs_default WHERE start_time >= $1 AND start_time < $2 RETURNING *)
      INSERT INTO %I SELECT * FROM moved', partition_name) USING lower_bound, upper_bound;
  END IF;
  EXECUTE format('ALTER TABLE spend_logs ATTACH PARTITION %I FOR VALUES FROM (%L) TO (%L)', partition_name, lower_bound, upper_bound);
  RETURN true;
END
$fn$;
`;

/**
 * Drops the monthly partitions that end on or before `cutoff`, and deletes the default partition's rows
 * older than it; returns the partitions dropped. Only tables named as spend_logs_ensure_partition names
 * them are considered.
 */
const DROP_PARTITIONS = `
CREATE FUNCTION spend_logs_drop_partitions_before(cutoff timestamptz)
RETURNS TABLE (partition_name text, rows_deleted bigint) LANGUAGE plpgsql AS $fn$
DECLARE
  name text;
  deleted bigint;
BEGIN
  FOR name IN
    SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
    WHERE i.inhparent = 'spend_logs'::regclass AND c.relname ~ '^spend_logs_[0-9]{4}_[0-9]{2}$'
      AND (to_date(substring(c.relname from 12), 'YYYY_MM') + interval '1 month')::timestamp AT TIME ZONE 'UTC' <= cutoff
    ORDER BY c.relname
  LOOP
    EXECUTE format('SELECT count(*) FROM %I', name) INTO deleted;
    EXECUTE format('DROP TABLE %I', name);
    partition_name := name;
    rows_deleted := deleted;
    RETURN NEXT;
  END LOOP;
  IF to_regclass('spend_logs_default') IS NOT NULL THEN
    DELETE FROM spend_logs_default WHERE start_time < cutoff;
    GET DIAGNOSTICS deleted = ROW_COUNT;
    IF deleted > 0 THEN
      partition_name := 'spend_logs_default';
      rows_deleted := deleted;
      RETURN NEXT;
    END IF;
  END IF;
END
$fn$;
`;

const CONVERT = `
DO $convert$
DECLARE
  index_definitions text[];
  definition text;
  month date;
BEGIN
  ALTER TABLE spend_logs RENAME TO spend_logs_unpartitioned;
  -- Every index but the primary key, to make again on the new table under the same name.
  SELECT coalesce(array_agg(pg_get_indexdef(i.indexrelid) ORDER BY c.relname), '{}') INTO index_definitions
  FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid
  WHERE i.indrelid = 'spend_logs_unpartitioned'::regclass AND NOT i.indisprimary;
  FOR definition IN
    SELECT c.relname FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid
    WHERE i.indrelid = 'spend_logs_unpartitioned'::regclass AND NOT i.indisprimary
  LOOP
    EXECUTE format('DROP INDEX %I', definition);
  END LOOP;
  ALTER TABLE spend_logs_unpartitioned RENAME CONSTRAINT spend_logs_pkey TO spend_logs_unpartitioned_pkey;

  CREATE TABLE spend_logs (LIKE spend_logs_unpartitioned INCLUDING DEFAULTS INCLUDING CONSTRAINTS INCLUDING STORAGE INCLUDING COMMENTS)
    PARTITION BY RANGE (start_time);
  FOR month IN
    SELECT DISTINCT date_trunc('month', start_time AT TIME ZONE 'UTC')::date FROM spend_logs_unpartitioned
    UNION
    SELECT generate_series(date_trunc('month', now() AT TIME ZONE 'UTC'), date_trunc('month', now() AT TIME ZONE 'UTC') + interval '2 months', interval '1 month')::date
  LOOP
    PERFORM spend_logs_ensure_partition(month);
  END LOOP;
  CREATE TABLE spend_logs_default PARTITION OF spend_logs DEFAULT;

  INSERT INTO spend_logs SELECT * FROM spend_logs_unpartitioned;
  ALTER TABLE spend_logs ADD CONSTRAINT spend_logs_pkey PRIMARY KEY (request_id, start_time);
  FOREACH definition IN ARRAY index_definitions LOOP
    -- "CREATE INDEX name ON public.spend_logs_unpartitioned USING ..." on the new table; made on the
    -- parent, so every partition, present and future, gets it.
    EXECUTE regexp_replace(definition, ' ON (ONLY )?\\S+ USING ', ' ON spend_logs USING ');
  END LOOP;
  DROP TABLE spend_logs_unpartitioned;
  -- The newest requests first, ties by request_id (/spend/logs): with this order in an index, each
  -- partition hands over its newest rows and a merge takes the first N, instead of sorting the ledger.
  DROP INDEX IF EXISTS spend_logs_start_time;
  CREATE INDEX spend_logs_start_time_request ON spend_logs (start_time, request_id);
END
$convert$;
`;

export const partitionedSpendLogs: Migration = {
  version: 510,
  name: 'partitioned-spend-logs',
  sql: `
DROP VIEW IF EXISTS ${FINANCE_VIEWS.map((name) => `"${name}"`).join(', ')};
${ENSURE_PARTITION}
${DROP_PARTITIONS}
${CONVERT}
${LITELLM_VIEWS_SQL}
${KEY_PERMISSIONS_VIEW_SQL}
`,
};
