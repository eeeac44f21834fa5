-- The hourly billing re-sync and the audit relay list their work across tenants, before any
-- tenant is known. 0003 and 0004 did that through SECURITY DEFINER functions, which see past FORCE
-- ROW LEVEL SECURITY only when the owner is a superuser or has BYPASSRLS: on managed PostgreSQL
-- both lists came back empty. Instead a transaction that names the job in app.worker_scope may
-- read the rows that job lists. Writes still need the row's tenant (WITH CHECK is unchanged).
CREATE FUNCTION app_worker_scope() RETURNS text
LANGUAGE sql STABLE AS $$ SELECT nullif(current_setting('app.worker_scope', true), '') $$;

DROP POLICY billing_subscriptions_isolation ON billing_subscriptions;
CREATE POLICY billing_subscriptions_isolation ON billing_subscriptions
  USING (tenant_id = app_tenant_id() OR app_worker_scope() = 'billing-resync')
  WITH CHECK (tenant_id = app_tenant_id());

DROP POLICY audit_chain_heads_isolation ON audit_chain_heads;
CREATE POLICY audit_chain_heads_isolation ON audit_chain_heads
  USING (tenant_id = app_tenant_id() OR app_worker_scope() = 'audit-relay')
  WITH CHECK (tenant_id = app_tenant_id());

DROP POLICY audit_relay_cursors_isolation ON audit_relay_cursors;
CREATE POLICY audit_relay_cursors_isolation ON audit_relay_cursors
  USING (tenant_id = app_tenant_id() OR app_worker_scope() = 'audit-relay')
  WITH CHECK (tenant_id = app_tenant_id());

DROP POLICY audit_checkpoints_isolation ON audit_checkpoints;
CREATE POLICY audit_checkpoints_isolation ON audit_checkpoints
  USING (tenant_id = app_tenant_id() OR app_worker_scope() = 'audit-relay')
  WITH CHECK (tenant_id = app_tenant_id());

DROP FUNCTION billing_subscriptions_to_resync();
DROP FUNCTION audit_relay_backlog(integer);
