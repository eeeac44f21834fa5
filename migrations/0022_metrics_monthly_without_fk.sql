-- Imports add to or recount one metrics_monthly row per touched month; its foreign key to sites
-- ran a referential-integrity query per row (36 for three years of days). On the embedded
-- database that was about 4 ms of a 1,095-row import (EXPLAIN-free measure: the same import
-- statement with and without the key, 60 imports each). The key guarded nothing the site's row
-- lock does not: imports hold it, and deleting a site locks the site row first and deletes its
-- daily and monthly rows itself (domain/sites/sites.ts: deleteSite), as 0010 did for
-- metrics_daily.
ALTER TABLE metrics_monthly DROP CONSTRAINT metrics_monthly_tenant_id_site_id_fkey;
