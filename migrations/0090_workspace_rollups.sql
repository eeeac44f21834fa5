-- Workspace rollups: the sums of every site of a workspace per day and per month, so that a
-- report over the whole workspace by day, week or month (staff's default view, goals) reads one
-- row per day or month instead of one per site. With 25 sites, a one-year monthly report compared
-- with the year before read about 650 site-month rollups and 525 site-days; from these tables it
-- reads about 26 months and 21 days (bench/roi.ts; docs/benchmarks.md).
--
-- They are derived data, rebuilt off the request path. Every change to metrics_monthly (and every
-- writer of metrics_daily changes it: imports and Google syncs, attribution changes, site
-- deletion) appends the months it touched to workspace_rollup_stale, by a statement-level trigger
-- in the writer's own transaction: no writer can forget it, a process still on older code during
-- a deploy included. The worker deletes a workspace's entries and rebuilds the months from the
-- first to the last of them out of metrics_daily, a year of months per transaction
-- (domain/metrics/workspace-rollups.ts). A report uses these tables only when no month it reads
-- has a stale entry, and otherwise reads the sites' own rows: a report is never built from a
-- rollup that misses a committed change.
--
-- No foreign key to tenants (tenants are never deleted): its check would take a key-share lock
-- on the tenant row in every import, and the tenant row has a lock order of its own
-- (docs/CONVENTIONS.md).
CREATE TABLE workspace_metrics_daily (
  tenant_id uuid NOT NULL,
  day date NOT NULL,
  sessions bigint NOT NULL,
  conversions bigint NOT NULL,
  revenue bigint NOT NULL,
  clicks bigint NOT NULL,
  impressions bigint NOT NULL,
  position_weighted numeric NOT NULL,
  position_impressions bigint NOT NULL,
  value numeric NOT NULL,
  PRIMARY KEY (tenant_id, day)
);
ALTER TABLE workspace_metrics_daily ENABLE ROW LEVEL SECURITY;
ALTER TABLE workspace_metrics_daily FORCE ROW LEVEL SECURITY;
CREATE POLICY workspace_metrics_daily_isolation ON workspace_metrics_daily
  USING (tenant_id = app_tenant_id()) WITH CHECK (tenant_id = app_tenant_id());

CREATE TABLE workspace_metrics_monthly (
  tenant_id uuid NOT NULL,
  month date NOT NULL CHECK (extract(day FROM month) = 1),
  sessions bigint NOT NULL,
  conversions bigint NOT NULL,
  revenue bigint NOT NULL,
  clicks bigint NOT NULL,
  impressions bigint NOT NULL,
  position_weighted numeric NOT NULL,
  position_impressions bigint NOT NULL,
  value numeric NOT NULL,
  -- Bit d−1 set when any site has a row for day d (the OR of the sites' masks).
  days_mask integer NOT NULL,
  PRIMARY KEY (tenant_id, month)
);
ALTER TABLE workspace_metrics_monthly ENABLE ROW LEVEL SECURITY;
ALTER TABLE workspace_metrics_monthly FORCE ROW LEVEL SECURITY;
CREATE POLICY workspace_metrics_monthly_isolation ON workspace_metrics_monthly
  USING (tenant_id = app_tenant_id()) WITH CHECK (tenant_id = app_tenant_id());

-- Append-only: writers never update an entry, so concurrent imports of one workspace take no
-- lock on each other here. created_at is the insert's own time (the writer's last step), which
-- the worker reads to wait until a workspace's writes have paused.
CREATE TABLE workspace_rollup_stale (
  tenant_id uuid NOT NULL,
  id bigint GENERATED ALWAYS AS IDENTITY,
  month date NOT NULL CHECK (extract(day FROM month) = 1),
  created_at timestamptz NOT NULL DEFAULT clock_timestamp(),
  PRIMARY KEY (tenant_id, id)
);
CREATE INDEX workspace_rollup_stale_month_idx ON workspace_rollup_stale (tenant_id, month);
ALTER TABLE workspace_rollup_stale ENABLE ROW LEVEL SECURITY;
ALTER TABLE workspace_rollup_stale FORCE ROW LEVEL SECURITY;
CREATE POLICY workspace_rollup_stale_isolation ON workspace_rollup_stale
  USING (tenant_id = app_tenant_id()) WITH CHECK (tenant_id = app_tenant_id());
-- The worker lists the workspaces with stale months across tenants, reading only.
CREATE POLICY workspace_rollup_stale_worker_list ON workspace_rollup_stale FOR SELECT
  USING (app_worker_scope() = 'workspace-rollups');

GRANT SELECT, INSERT, UPDATE, DELETE
  ON workspace_metrics_daily, workspace_metrics_monthly, workspace_rollup_stale TO roi_app;
GRANT USAGE ON SEQUENCE workspace_rollup_stale_id_seq TO roi_app;

-- Every month with data is stale at first: the worker builds the rollups. Row-level security is
-- lifted for the owner running the migration, inside its transaction only (as in 0030, 0080).
ALTER TABLE metrics_monthly NO FORCE ROW LEVEL SECURITY;
ALTER TABLE workspace_rollup_stale NO FORCE ROW LEVEL SECURITY;
INSERT INTO workspace_rollup_stale (tenant_id, month)
SELECT DISTINCT tenant_id, month FROM metrics_monthly;
ALTER TABLE metrics_monthly FORCE ROW LEVEL SECURITY;
ALTER TABLE workspace_rollup_stale FORCE ROW LEVEL SECURITY;

-- The months a statement changed in metrics_monthly, as stale entries (one insert per statement,
-- from its transition table: an import adds one row per month it touched, not per day).
CREATE FUNCTION mark_workspace_months_stale() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO workspace_rollup_stale (tenant_id, month)
  SELECT DISTINCT tenant_id, month FROM changed_rollups;
  RETURN NULL;
END
$$;
CREATE TRIGGER metrics_monthly_inserted AFTER INSERT ON metrics_monthly
  REFERENCING NEW TABLE AS changed_rollups
  FOR EACH STATEMENT EXECUTE FUNCTION mark_workspace_months_stale();
CREATE TRIGGER metrics_monthly_updated AFTER UPDATE ON metrics_monthly
  REFERENCING NEW TABLE AS changed_rollups
  FOR EACH STATEMENT EXECUTE FUNCTION mark_workspace_months_stale();
CREATE TRIGGER metrics_monthly_deleted AFTER DELETE ON metrics_monthly
  REFERENCING OLD TABLE AS changed_rollups
  FOR EACH STATEMENT EXECUTE FUNCTION mark_workspace_months_stale();
