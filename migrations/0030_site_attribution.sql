-- Attribution per site (contract v2, "Sites, services, metrics"): the share of revenue credited to
-- SEO, the value of a conversion, the gross margin, and an optional baseline period whose mean
-- daily credited value is subtracted from every day with data. Shares are kept to six decimals,
-- so that every credited value is computed exactly (numeric) and rounded once per day and site.
-- baseline_gross is the sum of (revenue + conversions × conversion_value) over the baseline's
-- days, kept current by imports and attribution changes under the site's row lock: the mean is
-- revenue_share × gross_margin × baseline_gross / (days in the baseline).
ALTER TABLE sites
  ADD COLUMN revenue_share numeric(7, 6) NOT NULL DEFAULT 1 CHECK (revenue_share >= 0 AND revenue_share <= 1),
  ADD COLUMN conversion_value bigint NOT NULL DEFAULT 0 CHECK (conversion_value >= 0),
  ADD COLUMN gross_margin numeric(7, 6) NOT NULL DEFAULT 1 CHECK (gross_margin >= 0 AND gross_margin <= 1),
  ADD COLUMN baseline_from date,
  ADD COLUMN baseline_to date,
  ADD COLUMN baseline_gross numeric NOT NULL DEFAULT 0,
  ADD CONSTRAINT sites_baseline_range CHECK (
    (baseline_from IS NULL AND baseline_to IS NULL)
    OR (baseline_from IS NOT NULL AND baseline_to IS NOT NULL AND baseline_to >= baseline_from
        AND baseline_to - baseline_from < 3660));

-- The monthly rollups carry the month's credited value (the sum of the per-day rounded values,
-- under the site's current attribution) and which of its days have a row (bit d−1 for day d), so
-- a month- or site-grouped report reads value and coverage from sites × months rows as it reads
-- revenue. Until now every site had the default attribution: value = revenue.
ALTER TABLE metrics_monthly
  ADD COLUMN value numeric NOT NULL DEFAULT 0,
  ADD COLUMN days_mask integer NOT NULL DEFAULT 0;

-- The backfill must see every tenant's rows: row-level security is lifted for the owner running
-- the migration, inside this migration's transaction only.
ALTER TABLE metrics_monthly NO FORCE ROW LEVEL SECURITY;
ALTER TABLE metrics_daily NO FORCE ROW LEVEL SECURITY;
UPDATE metrics_monthly AS r SET value = r.revenue, days_mask = x.mask
FROM (
  SELECT tenant_id, site_id, date_trunc('month', day::timestamp)::date AS month,
         bit_or(1 << (extract(day FROM day)::int - 1)) AS mask
  FROM metrics_daily GROUP BY 1, 2, 3
) AS x
WHERE r.tenant_id = x.tenant_id AND r.site_id = x.site_id AND r.month = x.month;
ALTER TABLE metrics_monthly FORCE ROW LEVEL SECURITY;
ALTER TABLE metrics_daily FORCE ROW LEVEL SECURITY;
