-- Billing: the Stripe webhook inbox, the per-tenant mirror of subscriptions and invoices, and the
-- billing state every member sees on the tenant row.

-- The inbox. A webhook cannot know its tenant before it is processed, so this table is global:
-- it has no tenant_id column (the tenant found by processing is `resolved_tenant_id`). Row-level
-- security still keeps a tenant-scoped transaction to its own tenant's events; the webhook
-- receiver and the worker run without a tenant and see every row.
CREATE TABLE stripe_webhook_events (
  id text PRIMARY KEY,                       -- the Stripe event id: a redelivery cannot insert twice
  type text NOT NULL,
  stripe_created timestamptz NOT NULL,       -- event.created
  livemode boolean NOT NULL DEFAULT false,
  payload jsonb NOT NULL,
  source text NOT NULL DEFAULT 'webhook' CHECK (source IN ('webhook', 'reconcile')),
  status text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'processed', 'ignored', 'dead')),
  attempts integer NOT NULL DEFAULT 0,
  last_error text,
  resolved_tenant_id uuid REFERENCES tenants (id) ON DELETE SET NULL,
  -- What processing locks and re-reads: the subscription (or invoice, or customer) it is about.
  object_key text,
  received_at timestamptz NOT NULL DEFAULT now(),
  processed_at timestamptz
);
CREATE INDEX stripe_webhook_events_pending_idx ON stripe_webhook_events (received_at) WHERE status = 'pending';
CREATE INDEX stripe_webhook_events_object_idx ON stripe_webhook_events (object_key) WHERE status = 'pending';
CREATE INDEX stripe_webhook_events_tenant_idx ON stripe_webhook_events (resolved_tenant_id, status, received_at);
CREATE INDEX stripe_webhook_events_dead_idx ON stripe_webhook_events (received_at) WHERE status = 'dead';
ALTER TABLE stripe_webhook_events ENABLE ROW LEVEL SECURITY;
ALTER TABLE stripe_webhook_events FORCE ROW LEVEL SECURITY;
CREATE POLICY stripe_webhook_events_scope ON stripe_webhook_events
  USING (app_tenant_id() IS NULL OR resolved_tenant_id = app_tenant_id())
  WITH CHECK (app_tenant_id() IS NULL OR resolved_tenant_id = app_tenant_id());
GRANT SELECT, INSERT, UPDATE ON stripe_webhook_events TO roi_app;

-- The billing state members see (banner): kept on the tenant row beside `plan`, the effective plan.
ALTER TABLE tenants
  ADD COLUMN billing_status text NOT NULL DEFAULT 'none' CHECK (billing_status IN ('none', 'trialing',
    'active', 'past_due', 'unpaid', 'canceled', 'incomplete', 'incomplete_expired', 'paused')),
  ADD COLUMN billing_grace_ends_at timestamptz;

-- Mirror of each Stripe subscription of a tenant, as last read from Stripe.
CREATE TABLE billing_subscriptions (
  tenant_id uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  id text NOT NULL,                          -- sub_…
  customer_id text NOT NULL,
  status text NOT NULL CHECK (status IN ('trialing', 'active', 'past_due', 'unpaid', 'canceled',
    'incomplete', 'incomplete_expired', 'paused')),
  price_id text,
  plan text NOT NULL,
  current_period_start timestamptz,
  current_period_end timestamptz,
  cancel_at_period_end boolean NOT NULL DEFAULT false,
  canceled_at timestamptz,
  -- When the subscription first became past_due in its current run (start of the grace period).
  past_due_since timestamptz,
  stripe_created timestamptz NOT NULL,
  synced_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id, id)
);
CREATE UNIQUE INDEX billing_subscriptions_id_idx ON billing_subscriptions (id);
ALTER TABLE billing_subscriptions ENABLE ROW LEVEL SECURITY;
ALTER TABLE billing_subscriptions FORCE ROW LEVEL SECURITY;
CREATE POLICY billing_subscriptions_isolation ON billing_subscriptions
  USING (tenant_id = app_tenant_id()) WITH CHECK (tenant_id = app_tenant_id());

-- One row per Stripe invoice, updated in place as its status moves.
CREATE TABLE billing_invoices (
  tenant_id uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  id text NOT NULL,                          -- in_…
  subscription_id text,
  number text,
  status text NOT NULL,
  amount_due bigint NOT NULL,
  amount_paid bigint NOT NULL,
  currency char(3) NOT NULL,
  hosted_invoice_url text,
  period_start timestamptz,
  period_end timestamptz,
  stripe_created timestamptz NOT NULL,
  updated_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id, id)
);
CREATE UNIQUE INDEX billing_invoices_id_idx ON billing_invoices (id);
CREATE INDEX billing_invoices_created_idx ON billing_invoices (tenant_id, stripe_created, id);
ALTER TABLE billing_invoices ENABLE ROW LEVEL SECURITY;
ALTER TABLE billing_invoices FORCE ROW LEVEL SECURITY;
CREATE POLICY billing_invoices_isolation ON billing_invoices
  USING (tenant_id = app_tenant_id()) WITH CHECK (tenant_id = app_tenant_id());

GRANT SELECT, INSERT, UPDATE ON billing_subscriptions, billing_invoices TO roi_app;

-- The periodic re-sync walks every tenant's live subscriptions; the worker has no tenant scope, so
-- this owner-run function returns just the ids it needs.
CREATE FUNCTION billing_subscriptions_to_resync()
RETURNS TABLE (tenant_id uuid, id text)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public AS
$$ SELECT tenant_id, id FROM billing_subscriptions WHERE status NOT IN ('canceled', 'incomplete_expired') $$;
REVOKE ALL ON FUNCTION billing_subscriptions_to_resync() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION billing_subscriptions_to_resync() TO roi_app;
