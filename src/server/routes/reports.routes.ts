import { brotliCompressSync, constants as zlibConstants, gzipSync } from 'node:zlib';
import type { Request } from 'express';
import { RoiReport, RoiReportQuery } from '../../shared/schemas/roi.ts';
import {
  REPORT_CACHE_TTL_SECONDS,
  reportCacheKey,
  reportCacheNamespace,
  serializeReport,
  type SerializedReport,
} from '../domain/reports/report-cache.ts';
import { reportToCsv, type SiteAttributionUsed } from '../domain/reports/report-csv.ts';
import { readReportDocument, reportPdfInput } from '../domain/reports/report-document.ts';
import { renderRoiReportPdf } from '../domain/reports/report-pdf.ts';
import { siteAttributions } from '../domain/sites/attribution.ts';
import {
  buildRoiReport,
  listReportSites,
  reportSites,
  resolveReportRange,
} from '../domain/reports/roi-report.ts';
import { inTransaction } from '../data/scoped-transaction.ts';
import { grantedSiteIds, viewerOf } from '../domain/sites/viewer.ts';
import { defineRoute, requireTenant, type CacheContext, type Reply } from '../http/define-route.ts';

/**
 * The report namespace's generation, whose read fromCache starts on a miss, so it overlaps the
 * identity read instead of following it. `prepare` awaits it before the transaction begins: Redis
 * is never waited on inside one.
 */
const generationRead = new WeakMap<Request, Promise<number>>();

/** What `prepare` read from the cache, before the request's transaction. */
interface CacheReads {
  /** The generation read before the data: a report built after a change is not stored. */
  generation: number;
  /** A client's granted sites (null for staff, who see every site). */
  granted: string[] | null;
  /** A client's cached report, keyed by their grants. */
  cached?: SerializedReport;
}

export const reportRoutes = [
  defineRoute({
    method: 'get',
    path: '/api/v1/reports/roi',
    tag: 'Reports',
    summary: 'Read the ROI report',
    description:
      'Credited value against the cost of the services delivered, per day, ISO week, month (default) or site, over [from, to] (default: the last 365 days, ending today in the workspace time zone; at most 3660 days). Every period appears, zero-filled. revenue is as imported; value is credited under each site’s attribution (PATCH /api/v1/sites/:id), rounded per day and site; cost accrues by day (a monthly amount spread over its month’s days). profit = value − cost; roi = profit / cost, null when cost is 0; position is impressions-weighted. totals.coverage counts the range’s days and those with a metric row for any selected site. compare=previous|year fills comparison with the earlier range’s totals and coverage. Money in minor units of `currency`. A client sees only their granted sites; an unknown or ungranted siteId is 404. CSV (money in decimal major units, ROI as a rounded percentage, a final total row and the attribution used per site; docs/roi-model.md) with Accept: text/csv or format=csv. Cached per workspace and query until the data or an attribution changes.',
    query: RoiReportQuery,
    responses: {
      200: { description: 'The report (JSON or CSV)', schema: RoiReport },
    },
    genericPlans: true,
    async fromCache(ctx, { query }) {
      // A PDF is built from a fresh read (with its comparison and annotations), never the cache.
      if (query.format === 'pdf') return null;
      // Staff see every site, so their key needs no database read; a client's grants do. CSV
      // carries the attribution of each site, read with the report: never from the cache.
      if (viewerOf(ctx).role === 'client' || wantsCsv(ctx, query.format)) return null;
      const tenant = requireTenant(ctx);
      const range = resolveReportRange(query, tenant.timezone);
      const key = reportCacheKey({
        ...range,
        groupBy: query.groupBy,
        compare: query.compare,
        siteIds: query.siteId,
        granted: null,
        currency: tenant.currency,
      });
      const namespace = reportCacheNamespace(tenant.id);
      const report = await ctx.services.cache.get<SerializedReport>(namespace, key, {
        since: ctx.receivedAt,
      });
      if (report) return replyWithReport(ctx, report, null, true);
      const generation = ctx.services.cache.generation(namespace);
      generation.catch(() => undefined); // awaited (and reported) by the handler
      generationRead.set(ctx.req, generation);
      return null;
    },
    // Cache reads (Redis) happen here, outside any transaction; a client's key needs their
    // grants, read in a short transaction of its own.
    async prepare(ctx, { query }): Promise<CacheReads> {
      const tenant = requireTenant(ctx);
      const { cache, database } = ctx.services;
      const namespace = reportCacheNamespace(tenant.id);
      const generation = await (generationRead.get(ctx.req) ?? cache.generation(namespace));
      const viewer = viewerOf(ctx);
      if (viewer.role !== 'client') return { generation, granted: null };
      const csv = wantsCsv(ctx, query.format);
      const granted = await inTransaction(
        database,
        { tenantId: tenant.id, userId: viewer.userId },
        (tx) => grantedSiteIds(tx, tenant.id, viewer),
      );
      const range = resolveReportRange(query, tenant.timezone);
      const key = reportCacheKey({
        ...range,
        groupBy: query.groupBy,
        compare: query.compare,
        siteIds: query.siteId,
        granted,
        currency: tenant.currency,
      });
      const cached = csv
        ? undefined
        : await cache.get<SerializedReport>(namespace, key, { since: ctx.receivedAt });
      return { generation, granted, cached };
    },
    async handler(ctx, { query, prepared }) {
      const tenant = requireTenant(ctx);
      const range = resolveReportRange(query, tenant.timezone);
      if (query.format === 'pdf') {
        const sites = await listReportSites(ctx.tx, tenant.id, prepared.granted, query.siteId);
        const doc = await readReportDocument(ctx.tx, tenant, sites, range, { withLogo: true });
        return {
          status: 200,
          headers: {
            'Content-Type': 'application/pdf',
            'Content-Disposition': `attachment; filename="roi-report-${range.from}-${range.to}.pdf"`,
            'Cache-Control': 'private, no-store',
          },
          // Rendered once the transaction has committed: it never holds one open.
          render: () => renderRoiReportPdf(reportPdfInput(doc)),
        };
      }
      const cache = ctx.services.cache;
      const namespace = reportCacheNamespace(tenant.id);
      const { generation, granted, cached } = prepared;
      if (cached) return replyWithReport(ctx, cached, null);
      const key = reportCacheKey({
        ...range,
        groupBy: query.groupBy,
        compare: query.compare,
        siteIds: query.siteId,
        granted,
        currency: tenant.currency,
      });
      const sites = await reportSites(ctx.tx, tenant.id, granted, query.siteId, query.groupBy);
      const built = serializeReport(
        await buildRoiReport(
          ctx.tx,
          tenant.id,
          sites,
          range,
          query.groupBy,
          tenant.currency,
          query.compare,
        ),
      );
      // Not awaited: the transaction commits and the reply leaves meanwhile. A later request of
      // this process still finds it, its read queued behind this write on the same connection.
      cache
        .set(namespace, key, built, REPORT_CACHE_TTL_SECONDS, { ifGeneration: generation })
        .catch((error: unknown) => ctx.req.log?.warn({ err: error }, 'report not cached'));
      if (!wantsCsv(ctx, query.format)) return replyWithReport(ctx, built, null);
      const used = await siteAttributions(ctx.tx, tenant.id, sites ? sites.map((s) => s.id) : null);
      return replyWithReport(ctx, built, used);
    },
  }),
];

type Coding = 'br' | 'gzip' | 'identity';

/**
 * A cached report's bytes in each content coding asked for so far, kept as long as the (shared,
 * frozen) cached copy itself: a browser's cached hit is not compressed again on every request.
 * Brotli at compression()'s quality (4).
 */
const encodedBytes = new WeakMap<SerializedReport, Partial<Record<Coding, Buffer>>>();

/**
 * The largest report compressed here, on the event loop, once per cached copy and coding (brotli
 * takes about 2 ms at this size); a larger one goes out through compression()'s stream, which runs
 * on the thread pool.
 */
const MAX_ENCODED_JSON = 64 * 1024;

function encodedReport(serialized: SerializedReport, coding: Coding): Buffer {
  let copies = encodedBytes.get(serialized);
  if (!copies) encodedBytes.set(serialized, (copies = {}));
  let bytes = copies[coding];
  if (!bytes) {
    const json = Buffer.from(serialized.json);
    bytes =
      coding === 'br'
        ? brotliCompressSync(json, {
            params: {
              [zlibConstants.BROTLI_PARAM_QUALITY]: 4,
              [zlibConstants.BROTLI_PARAM_SIZE_HINT]: json.length,
            },
          })
        : coding === 'gzip'
          ? gzipSync(json)
          : json;
    copies[coding] = bytes;
  }
  return bytes;
}

/**
 * The coding to send a cached copy in: br when the client accepts it, else gzip, else none (as
 * compression() would choose, which also prefers br when both are acceptable).
 */
function codingFor(req: Request, serialized: SerializedReport): Coding {
  if (req.headers['accept-encoding'] === undefined) return 'identity';
  if (serialized.json.length > MAX_ENCODED_JSON) return 'identity';
  if (req.acceptsEncodings('br') === 'br') return 'br';
  if (req.acceptsEncodings('gzip') === 'gzip') return 'gzip';
  return 'identity';
}

/** Whether the report is asked for as CSV: `format=csv`, or `Accept: text/csv` without format. */
function wantsCsv(ctx: CacheContext, format: 'json' | 'csv' | 'pdf' | undefined): boolean {
  return (
    format === 'csv' ||
    (format === undefined &&
      ctx.req.headers.accept !== undefined &&
      ctx.req.accepts(['application/json', 'text/csv']) === 'text/csv')
  );
}

/**
 * The stored JSON as it is, with its ETag (a matching If-None-Match gets a 304), or CSV with the
 * attribution each site's value was credited under (`csvSites`, given when CSV was asked for).
 */
function replyWithReport(
  ctx: CacheContext,
  serialized: SerializedReport,
  csvSites: SiteAttributionUsed[] | null,
  encode = false,
): Reply {
  if (!csvSites) {
    // Written here rather than by res.send: the cached hit is the path most reports take. With
    // `encode` (a staff member's cached hit, outside any transaction) its bytes are encoded once
    // per cached copy and coding (see encodedBytes); each coding is a representation of its own,
    // with its own ETag, and compression() leaves an encoded body as it is. Otherwise
    // compression() encodes the body as the client accepts.
    const { req, res } = ctx;
    const coding = encode ? codingFor(req, serialized) : 'identity';
    res.statusCode = 200;
    res.setHeader('Vary', 'Accept, Accept-Encoding');
    res.setHeader(
      'ETag',
      coding === 'identity' ? serialized.etag : `${serialized.etag.slice(0, -1)}-${coding}"`,
    );
    if (req.fresh) {
      res.statusCode = 304;
      res.end();
      return { streamed: true };
    }
    const body = encodedReport(serialized, coding);
    res.setHeader('Content-Type', 'application/json; charset=utf-8');
    if (coding !== 'identity') res.setHeader('Content-Encoding', coding);
    res.setHeader('Content-Length', body.length);
    if (req.method === 'HEAD') res.end();
    else res.end(body);
    return { streamed: true };
  }
  const report = JSON.parse(serialized.json) as RoiReport;
  ctx.res
    .status(200)
    .set({
      'Content-Type': 'text/csv; charset=utf-8',
      'Content-Disposition': `attachment; filename="roi-${report.from}-${report.to}-${report.groupBy}.csv"`,
      Vary: 'Accept, Accept-Encoding',
    })
    .send(reportToCsv(report, csvSites));
  return { streamed: true };
}
