-- The metrics policies compare tenant_id with app_tenant_id(), which reads and casts the setting
-- for every row a statement checks: an import's INSERT of 1,095 rows spent about a tenth of its
-- time there (5.2 ms against 4.65 ms with the sub-select, PostgreSQL 15, same session). As a
-- sub-select the function runs once per statement (an InitPlan); it is STABLE, so the answer is
-- the same, and the comparison still serves as an index condition for reads.
ALTER POLICY metrics_daily_isolation ON metrics_daily
  USING (tenant_id = (SELECT app_tenant_id())) WITH CHECK (tenant_id = (SELECT app_tenant_id()));
ALTER POLICY metrics_monthly_isolation ON metrics_monthly
  USING (tenant_id = (SELECT app_tenant_id())) WITH CHECK (tenant_id = (SELECT app_tenant_id()));
