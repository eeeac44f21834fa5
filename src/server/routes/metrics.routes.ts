import { Page } from '../../shared/schemas/common.ts';
import {
  ImportMetricsJsonBody,
  ImportMetricsResult,
  ListMetricsQuery,
  MAX_IMPORT_BYTES,
  MetricDay,
  SiteIdParams,
} from '../../shared/schemas/roi.ts';
import { importFormatOf, importMetrics } from '../domain/metrics/import-metrics.ts';
import { listDailyMetrics } from '../domain/metrics/list-metrics.ts';
import { viewerOf } from '../domain/sites/viewer.ts';
import { defineRoute, requireTenant } from '../http/define-route.ts';

export const metricRoutes = [
  defineRoute({
    method: 'post',
    path: '/api/v1/sites/:siteId/metrics',
    tag: 'Metrics',
    summary: 'Import daily metrics of a site',
    description:
      'JSON `{rows: [...]}` (revenue in minor units) or `text/csv` with a header row naming date and any of sessions, conversions, revenue (decimal major units, converted exactly), clicks, impressions, position. A Google Search Console performance export (Date,Clicks,Impressions,CTR,Position), a GA4 export (`#` comment lines first, dates `20260105`, Sessions, Key events, Total revenue) and a Looker Studio export are accepted as is; header names are matched ignoring case, spaces and punctuation; a column headed `ignore` or with an empty header is skipped; CTR is derived and ignored. Amounts may carry the symbol or code of the workspace currency and thousands separators (`$1,234.56`, `1.234,56 €`); another currency is refused; a single `.` or `,` before exactly three digits follows the decimal mark the other numbers of the file use, else groups thousands (docs/metrics-import.md). Rows upsert by (site, date): a field a row leaves out (or empty, or null) keeps its stored value. Atomic: one bad row and nothing is written; the 400 lists every bad cell (`rows.6.revenue`, `line 7.revenue`, or `line 7` for a whole row). At most 100,000 rows and 10 MiB (413 beyond); a date may appear once per import; a CSV row that has not ended 256 KiB after it began (a quote left open) is a 400 on its line.',
    params: SiteIdParams,
    bodyKind: 'raw',
    bodyLimit: MAX_IMPORT_BYTES,
    requestContentTypes: {
      'application/json': { schema: ImportMetricsJsonBody },
      'text/csv': {
        description:
          'date,sessions,conversions,revenue,clicks,impressions,position (any subset with date)',
      },
    },
    responses: { 200: { description: 'Imported', schema: ImportMetricsResult } },
    async handler(ctx, { params, body }) {
      const tenant = requireTenant(ctx);
      const contentType = ctx.req.get('content-type');
      const raw = Buffer.isBuffer(body) ? body : Buffer.alloc(0);
      const result = await importMetrics(
        ctx.tx,
        tenant.id,
        viewerOf(ctx),
        params.siteId,
        raw,
        contentType,
        tenant.currency,
        // The writer drops the workspace's cached reports once the import commits.
        ctx.services.cache,
      );
      const { from, to, ...counts } = result;
      await ctx.audit({
        action: 'metrics.imported',
        target: { type: 'site', id: params.siteId },
        changes: { format: importFormatOf(contentType), ...counts, from, to },
      });
      return { status: 200, body: counts };
    },
  }),
  defineRoute({
    method: 'get',
    path: '/api/v1/sites/:siteId/metrics',
    tag: 'Metrics',
    summary: 'List daily metrics of a site',
    description: 'Stored days in [from, to], oldest first; a null field was never imported.',
    params: SiteIdParams,
    query: ListMetricsQuery,
    responses: { 200: { description: 'Days', schema: Page(MetricDay) } },
    async handler(ctx, { params, query }) {
      const body = await listDailyMetrics(
        ctx.tx,
        requireTenant(ctx).id,
        viewerOf(ctx),
        params.siteId,
        query,
      );
      return { status: 200, body };
    },
  }),
];
