import { once } from 'node:events';
import type { Writable } from 'node:stream';
import { presentAuditEvent, type AuditFilter, type StoredAuditEvent } from './audit-event.ts';
import type { AuditStore } from './audit-store.ts';

export type AuditExportFormat = 'csv' | 'ndjson';

/** Events read per query, and characters per socket write: together they bound the memory used. */
const EXPORT_BATCH_SIZE = 1000;
const CHUNK_CHARS = 64 * 1024;

/** CSV columns, in order. `prevHash` and `hash` let an auditor re-check the chain offline. */
export const AUDIT_CSV_COLUMNS = [
  'seq',
  'id',
  'occurredAt',
  'actorType',
  'actorId',
  'actorLabel',
  'action',
  'targetType',
  'targetId',
  'changes',
  'ip',
  'userAgent',
  'requestId',
  'prevHash',
  'hash',
] as const;

/**
 * One CSV field (RFC 4180). A text that a spreadsheet would run as a formula (= + - @ tab CR at
 * the start) gets a leading apostrophe: labels and user agents come from users. The NDJSON export
 * is the exact form.
 */
export function csvField(value: unknown): string {
  if (value === null || value === undefined) return '';
  let text =
    typeof value === 'string'
      ? value
      : typeof value === 'number'
        ? String(value)
        : JSON.stringify(value);
  if (typeof value === 'string' && /^[=+\-@\t\r]/.test(text)) text = `'${text}`;
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

function csvLine(event: StoredAuditEvent): string {
  const values: unknown[] = [
    event.seq,
    event.id,
    event.occurredAt.toISOString(),
    event.actor.type,
    event.actor.id,
    event.actor.label,
    event.action,
    event.target.type,
    event.target.id,
    event.changes === null || event.changes === undefined ? null : JSON.stringify(event.changes),
    event.ip,
    event.userAgent,
    event.requestId,
    event.prevHash,
    event.hash,
  ];
  return `${values.map(csvField).join(',')}\r\n`;
}

function ndjsonLine(event: StoredAuditEvent): string {
  return `${JSON.stringify({ ...presentAuditEvent(event), prevHash: event.prevHash, hash: event.hash })}\n`;
}

/**
 * Streams a tenant's events (oldest first, so the file reads as the chain does) to `out` in batches,
 * waiting for the socket to drain: memory stays bounded whatever the log's size. Stops early when
 * `isAborted()` turns true (the client went away). Returns the number of events written.
 */
export async function exportAuditEvents(
  store: AuditStore,
  tenantId: string,
  options: {
    format: AuditExportFormat;
    filter: AuditFilter;
    out: Writable;
    isAborted?: () => boolean;
  },
): Promise<number> {
  const { out, format } = options;
  const write = async (chunk: string) => {
    if (out.write(chunk) || out.destroyed) return;
    // Wait for the socket to drain or go away; the listener that loses the race is removed.
    const settled = new AbortController();
    await Promise.race([
      once(out, 'drain', { signal: settled.signal }),
      once(out, 'close', { signal: settled.signal }),
    ]).finally(() => settled.abort());
  };
  if (format === 'csv') await write(`${AUDIT_CSV_COLUMNS.join(',')}\r\n`);
  const line = format === 'csv' ? csvLine : ndjsonLine;
  let written = 0;
  let pending = '';
  for await (const batch of store.scanEvents(tenantId, {
    filter: options.filter,
    batchSize: EXPORT_BATCH_SIZE,
  })) {
    for (const event of batch) {
      if (options.isAborted?.() || out.destroyed) return written;
      pending += line(event);
      written += 1;
      if (pending.length >= CHUNK_CHARS) {
        await write(pending);
        pending = '';
      }
    }
  }
  if (pending && !out.destroyed) await write(pending);
  return written;
}
