-- 0010 and 0022 dropped the metrics tables' foreign keys to sites for import speed, leaving
-- deleteSite to remove a site's metrics by hand: any other path (a script, a future delete) could
-- leave rows naming no site. The keys come back, tenant first and cascading; the import's cost is
-- judged by the import benchmark (docs/benchmarks.md), rerun after this change.
-- Rows left by a site deleted outside deleteSite are removed first so the keys can be validated
-- (an owner that cannot bypass row-level security sees none here; there deleteSite kept none).
DELETE FROM metrics_daily m
WHERE NOT EXISTS (SELECT 1 FROM sites s WHERE s.tenant_id = m.tenant_id AND s.id = m.site_id);
DELETE FROM metrics_monthly m
WHERE NOT EXISTS (SELECT 1 FROM sites s WHERE s.tenant_id = m.tenant_id AND s.id = m.site_id);

ALTER TABLE metrics_daily
  ADD CONSTRAINT metrics_daily_tenant_id_site_id_fkey
  FOREIGN KEY (tenant_id, site_id) REFERENCES sites (tenant_id, id) ON DELETE CASCADE;
ALTER TABLE metrics_monthly
  ADD CONSTRAINT metrics_monthly_tenant_id_site_id_fkey
  FOREIGN KEY (tenant_id, site_id) REFERENCES sites (tenant_id, id) ON DELETE CASCADE;
