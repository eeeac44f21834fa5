-- Scheduled report e-mails. A schedule names its sites, recipients, a weekly or monthly occurrence
-- at an hour of the tenant's time zone, and a period preset. Each occurrence is one delivery row,
-- unique per (tenant, schedule, period key): the worker (or "send now") claims that row before it
-- builds or sends anything, so two workers, or a worker and a click, never make two e-mails of one
-- occurrence. The delivery's e-mail is an outbox row whose Message-ID is derived from the schedule
-- and the period key.
CREATE TABLE report_schedules (
  tenant_id uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  id uuid NOT NULL,
  name text NOT NULL,
  site_ids uuid[] NOT NULL,
  recipients text[] NOT NULL CHECK (cardinality(recipients) BETWEEN 1 AND 20),
  frequency text NOT NULL CHECK (frequency IN ('weekly', 'monthly')),
  day_of_week integer CHECK (day_of_week BETWEEN 1 AND 7),
  day_of_month integer CHECK (day_of_month BETWEEN 1 AND 28),
  hour integer NOT NULL CHECK (hour BETWEEN 0 AND 23),
  period jsonb NOT NULL,
  attach_pdf boolean NOT NULL DEFAULT false,
  created_by uuid,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id, id),
  CHECK ((frequency = 'weekly') = (day_of_week IS NOT NULL)),
  CHECK ((frequency = 'monthly') = (day_of_month IS NOT NULL))
);
CREATE INDEX report_schedules_list_idx ON report_schedules (tenant_id, created_at, id);
ALTER TABLE report_schedules ENABLE ROW LEVEL SECURITY;
ALTER TABLE report_schedules FORCE ROW LEVEL SECURITY;
CREATE POLICY report_schedules_isolation ON report_schedules
  USING (tenant_id = app_tenant_id() OR app_worker_scope() = 'report-schedules')
  WITH CHECK (tenant_id = app_tenant_id());
GRANT SELECT, INSERT, UPDATE, DELETE ON report_schedules TO roi_app;

CREATE TABLE report_deliveries (
  tenant_id uuid NOT NULL,
  id uuid NOT NULL,
  schedule_id uuid NOT NULL,
  -- The occurrence: 2026-W49 (weekly) or 2026-12 (monthly), in the tenant's time zone.
  period_key text NOT NULL,
  trigger text NOT NULL CHECK (trigger IN ('schedule', 'manual')),
  status text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'sent', 'failed')),
  recipients text[] NOT NULL,
  -- While a worker builds the message: another worker takes over once this has passed.
  locked_until timestamptz,
  attempts integer NOT NULL DEFAULT 0,
  outbox_id uuid,
  error text,
  created_at timestamptz NOT NULL DEFAULT now(),
  sent_at timestamptz,
  PRIMARY KEY (tenant_id, id),
  UNIQUE (tenant_id, schedule_id, period_key),
  FOREIGN KEY (tenant_id, schedule_id) REFERENCES report_schedules (tenant_id, id) ON DELETE CASCADE
);
CREATE INDEX report_deliveries_list_idx ON report_deliveries (tenant_id, schedule_id, created_at, id);
CREATE INDEX report_deliveries_unbuilt_idx ON report_deliveries (created_at) WHERE status = 'pending' AND outbox_id IS NULL;
ALTER TABLE report_deliveries ENABLE ROW LEVEL SECURITY;
ALTER TABLE report_deliveries FORCE ROW LEVEL SECURITY;
CREATE POLICY report_deliveries_isolation ON report_deliveries
  USING (tenant_id = app_tenant_id() OR app_worker_scope() = 'report-schedules')
  WITH CHECK (tenant_id = app_tenant_id());
GRANT SELECT, INSERT, UPDATE, DELETE ON report_deliveries TO roi_app;
