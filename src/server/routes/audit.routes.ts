import {
  AuditExportQuery,
  AuditLogPage,
  AuditLogQuery,
  AuditVerifyReply,
} from '../../shared/schemas/audit.ts';
import type { AuditFilter } from '../domain/audit/audit-event.ts';
import { exportAuditEvents, type AuditReader } from '../domain/audit/export-audit-events.ts';
import { listAuditEvents } from '../domain/audit/list-audit-events.ts';
import { recordAuditEvent } from '../domain/audit/record-audit-event.ts';
import { verifyAuditChain } from '../domain/audit/verify-audit-chain.ts';
import { inTransaction } from '../data/scoped-transaction.ts';
import { defineRoute, requireTenant } from '../http/define-route.ts';
import { AppError } from '../errors.ts';

const DAY_MS = 86_400_000;
/** Longest silence of a running verification before it sends a keep-alive byte. */
const KEEPALIVE_MS = 5000;
const isDate = (value: string) => /^\d{4}-\d{2}-\d{2}$/.test(value);

/** The query's filters as the stores take them: dates are whole UTC days, `to` is inclusive. */
function toAuditFilter(query: {
  action?: string;
  actorId?: string;
  targetType?: string;
  targetId?: string;
  from?: string;
  to?: string;
}): AuditFilter {
  const from = query.from
    ? new Date(isDate(query.from) ? `${query.from}T00:00:00Z` : query.from)
    : undefined;
  const to = query.to
    ? new Date(
        isDate(query.to) ? Date.parse(`${query.to}T00:00:00Z`) + DAY_MS : Date.parse(query.to) + 1,
      )
    : undefined;
  if (from && to && from >= to) {
    throw new AppError('validation', 'The request did not validate', {
      errors: [{ path: 'query.to', message: 'must not be before from' }],
    });
  }
  const filter: AuditFilter = {};
  if (query.action) filter.action = query.action;
  if (query.actorId) filter.actorId = query.actorId;
  if (query.targetType) filter.targetType = query.targetType;
  if (query.targetId) filter.targetId = query.targetId;
  if (from) filter.from = from;
  if (to) filter.toExclusive = to;
  return filter;
}

/** The filters as recorded in the audit event of a read. */
const filterDetail = (query: Record<string, unknown>) =>
  Object.fromEntries(
    ['action', 'actorId', 'targetType', 'targetId', 'from', 'to']
      .filter((k) => query[k] !== undefined)
      .map((k) => [k, query[k]]),
  );

export const auditRoutes = [
  defineRoute({
    method: 'get',
    path: '/api/v1/audit-logs',
    tag: 'Audit log',
    summary: 'List audit events',
    description:
      'Newest first, in cursor pages. Filters combine with AND; `from` and `to` are inclusive (a date covers its whole UTC day). ' +
      'Reading the log is itself recorded (audit_log.read). With MONGODB_URL the events are read from MongoDB, a copy that trails by about a second.',
    query: AuditLogQuery,
    responses: { 200: { description: 'A page of events', schema: AuditLogPage } },
    async handler(ctx, { query }) {
      const tenant = requireTenant(ctx);
      const store = ctx.services.audit.storeFor(ctx.tx);
      const page = await listAuditEvents(store, tenant.id, {
        filter: toAuditFilter(query),
        limit: query.limit,
        cursor: query.cursor,
      });
      await ctx.audit({
        action: 'audit_log.read',
        target: { type: 'audit_log', id: tenant.id },
        changes: {
          filter: filterDetail(query),
          page: query.cursor ? 'next' : 'first',
          returned: page.data.length,
        },
      });
      return { status: 200, body: page };
    },
  }),

  defineRoute({
    method: 'get',
    path: '/api/v1/audit-logs/export',
    tag: 'Audit log',
    summary: 'Export audit events',
    description:
      'Streams every event matching the filters, oldest first, as NDJSON (one event per line, with prevHash and hash so the chain can be re-checked offline) ' +
      'or CSV (header row; `changes` as JSON text; cells a spreadsheet would run as formulas get a leading apostrophe). ' +
      'Memory stays constant whatever the size. The file holds the chain up to its head when the export starts (later events are left out whole), read in batches by seq, each in its own short transaction: a slow client holds no database connection. The export is recorded (audit_log.exported) before the response completes.',
    query: AuditExportQuery,
    responses: {
      200: {
        description: 'application/x-ndjson, or text/csv with format=csv',
        contentType: 'application/x-ndjson',
      },
    },
    async handler(ctx, { query }) {
      const tenant = requireTenant(ctx);
      const filter = toAuditFilter(query);
      const { res, meta, actor } = ctx;
      const database = ctx.services.database;
      const audit = ctx.services.audit;
      const stamp = new Date().toISOString().slice(0, 10);
      res.status(200);
      res.setHeader(
        'Content-Type',
        query.format === 'csv' ? 'text/csv; charset=utf-8' : 'application/x-ndjson; charset=utf-8',
      );
      res.setHeader(
        'Content-Disposition',
        `attachment; filename="audit-log-${tenant.subdomain}-${stamp}.${query.format === 'csv' ? 'csv' : 'ndjson'}"`,
      );
      res.setHeader('Cache-Control', 'no-store');
      let aborted = false;
      res.on('close', () => {
        if (!res.writableFinished) aborted = true;
      });
      const detail = {
        format: query.format,
        filter: filterDetail(query),
        store: audit.storeFor(ctx.tx).kind,
      };
      /** One short transaction per read: a client that stops reading holds no connection. */
      const read: AuditReader = (fn) =>
        inTransaction(database, { tenantId: tenant.id }, (tx) => fn(audit.storeFor(tx)));
      const recordExport = (events: number, completed: boolean) =>
        inTransaction(database, { tenantId: tenant.id }, (tx) =>
          recordAuditEvent(tx, tenant.id, actor, meta, {
            action: 'audit_log.exported',
            target: { type: 'audit_log', id: tenant.id },
            changes: { ...detail, events, completed },
          }),
        );
      // The request transaction holds nothing: the export streams after it, batch by batch, and
      // is recorded in a transaction of its own before the last byte leaves (a download cut short
      // is recorded as incomplete).
      ctx.afterCommit(async () => {
        let written = 0;
        try {
          written = await exportAuditEvents(read, tenant.id, {
            format: query.format,
            filter,
            out: res,
            isAborted: () => aborted,
            onWritten: (events) => (written = events),
          });
        } catch (error) {
          await recordExport(written, false).catch(() => undefined);
          res.destroy(error instanceof Error ? error : undefined);
          throw error;
        }
        await recordExport(written, !aborted);
        res.end();
      });
      return { streamed: true };
    },
  }),

  defineRoute({
    method: 'get',
    path: '/api/v1/audit-logs/verify',
    tag: 'Audit log',
    summary: "Verify the workspace's audit hash chain",
    description:
      'Recomputes the SHA-256 chain from the retention checkpoint to the head, reading the events in batches (constant memory). ' +
      'A long run sends its headers early and a space every 5 s to keep the connection open, then the JSON. ' +
      '`firstInvalidSeq` is the first event that is missing, out of place or altered. Recorded as audit_log.verified.',
    responses: { 200: { description: 'The result', schema: AuditVerifyReply } },
    async handler(ctx) {
      const tenant = requireTenant(ctx);
      const store = ctx.services.audit.storeFor(ctx.tx);
      const res = ctx.res;
      // A long verification keeps the connection alive (proxies time out idle responses): after
      // KEEPALIVE_MS the headers go out and a space (valid leading JSON whitespace) follows every
      // KEEPALIVE_MS until the result.
      let lastWrite = Date.now();
      const result = await verifyAuditChain(store, tenant.id, {
        onProgress: () => {
          if (Date.now() - lastWrite < KEEPALIVE_MS || res.destroyed) return;
          if (!res.headersSent) {
            res.status(200);
            res.setHeader('Content-Type', 'application/json; charset=utf-8');
            res.setHeader('Cache-Control', 'no-store');
          }
          res.write(' ');
          res.flush(); // through the compression stream at once: it keeps the connection alive
          lastWrite = Date.now();
        },
      });
      const body = {
        valid: result.valid,
        checked: result.checked,
        firstInvalidSeq: result.firstInvalidSeq,
      };
      await ctx.audit({
        action: 'audit_log.verified',
        target: { type: 'audit_log', id: tenant.id },
        changes: { ...body, headSeq: result.headSeq, store: store.kind },
      });
      if (!res.headersSent) return { status: 200, body };
      ctx.afterCommit(() => {
        res.end(JSON.stringify(body));
      });
      return { streamed: true };
    },
  }),
];
