import { decodeCursor, encodeCursor } from '../../lib/cursor.ts';
import { presentAuditEvent, type AuditFilter, type PresentedAuditEvent } from './audit-event.ts';
import type { AuditStore } from './audit-store.ts';

export interface ListAuditEventsOptions {
  filter: AuditFilter;
  limit: number;
  cursor?: string;
}

/** One page of a tenant's audit log, newest first; the cursor is the seq of the page's last event. */
export async function listAuditEvents(
  store: AuditStore,
  tenantId: string,
  options: ListAuditEventsOptions,
): Promise<{ data: PresentedAuditEvent[]; nextCursor: string | null }> {
  const beforeSeq = options.cursor ? decodeCursor(options.cursor, ['integer'])[0] : undefined;
  const rows = await store.listEvents(tenantId, options.filter, {
    limit: options.limit + 1,
    beforeSeq: beforeSeq !== undefined && Number.isFinite(beforeSeq) ? beforeSeq : undefined,
  });
  const page = rows.slice(0, options.limit);
  const last = page[page.length - 1];
  return {
    data: page.map(presentAuditEvent),
    nextCursor: rows.length > options.limit && last ? encodeCursor([last.seq]) : null,
  };
}
