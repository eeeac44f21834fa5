-- Imports write up to 100,000 daily rows in one statement; a foreign key on metrics_daily costs one
-- referential-integrity lookup per row (measured: about half of a 100k-row upsert). The import
-- holds the site's row lock for its whole transaction instead, and deleting a site locks the site
-- row first and then deletes its daily rows itself (domain/sites/sites.ts: deleteSite), so no
-- orphan can appear. metrics_monthly (one row per site and month) keeps its cascading key.
ALTER TABLE metrics_daily DROP CONSTRAINT metrics_daily_tenant_id_site_id_fkey;
