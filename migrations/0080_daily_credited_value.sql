-- Each daily row carries its credited value (the day's value under the site's attribution,
-- rounded as the contract says), as the monthly rollups already do. A report reads whole months
-- from the rollups and the days at its edges from here; computing those days' values in the
-- report statement (exact numeric arithmetic, row by row) was about a sixth of an uncached
-- one-year report's time in its transaction (bench/roi.ts). Writers of daily rows compute it once
-- per row, as they computed it for the rollups before; an attribution change recomputes the
-- site's rows (domain/sites/attribution.ts: refreshSiteValues).
ALTER TABLE metrics_daily ADD COLUMN value numeric NOT NULL DEFAULT 0;

-- The backfill must see every tenant's rows: row-level security is lifted for the owner running
-- the migration, inside this migration's transaction only (as in 0030). The formula is the one of
-- creditedValue (domain/sites/attribution.ts) over the terms of attributionTerms.
ALTER TABLE metrics_daily NO FORCE ROW LEVEL SECURITY;
ALTER TABLE sites NO FORCE ROW LEVEL SECURITY;
UPDATE metrics_daily AS d
SET value = sign(a.sm * ((coalesce(d.revenue, 0) + coalesce(d.conversions, 0)::numeric * a.cv) * a.n - a.b))
  * div(2 * abs(a.sm * ((coalesce(d.revenue, 0) + coalesce(d.conversions, 0)::numeric * a.cv) * a.n - a.b)) + a.n,
        2 * a.n)
FROM (
  SELECT s.tenant_id, s.id, s.revenue_share * s.gross_margin AS sm, s.conversion_value AS cv,
    CASE WHEN s.baseline_from IS NULL THEN 1 ELSE s.baseline_to - s.baseline_from + 1 END AS n,
    CASE WHEN s.baseline_from IS NULL THEN 0 ELSE s.baseline_gross END AS b
  FROM sites s
) AS a
WHERE a.tenant_id = d.tenant_id AND a.id = d.site_id;
ALTER TABLE metrics_daily FORCE ROW LEVEL SECURITY;
ALTER TABLE sites FORCE ROW LEVEL SECURITY;
-- No default from here on: a writer must give the value. A process still on older code (during
-- a deploy) fails its metric writes instead of storing days whose value reads as 0.
ALTER TABLE metrics_daily ALTER COLUMN value DROP DEFAULT;
