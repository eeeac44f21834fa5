import http from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inTransaction } from '../../src/server/data/scoped-transaction.ts';
import { recordAuditEvent } from '../../src/server/domain/audit/record-audit-event.ts';
import { buildTenant, eventually, uniq, type TestTenant } from '../support/factories.ts';
import { startTestApp, type TestApp } from '../support/test-app.ts';

/**
 * An export whose client stops reading holds no transaction: on the embedded database (one
 * connection) another workspace's requests still complete, and the file stays a gap-free piece
 * of the hash chain.
 */
let app: TestApp;
beforeAll(async () => {
  app = await startTestApp();
});
afterAll(async () => {
  await app.close();
});

/** Well past what the loopback socket buffers hold, so the server must wait for the client. */
const EVENTS = 200;
const PADDING = 'x'.repeat(100_000);

/**
 * A request on a connection of its own, as a user of the workspace: the bulk insert blocks the
 * embedded database long enough for the server to close pooled keep-alive connections.
 */
function call(
  who: TestTenant,
  method: string,
  path: string,
  body?: unknown,
): Promise<{ status: number; text: string }> {
  const cookies = Object.fromEntries(who.owner.client.cookies);
  return new Promise((resolve, reject) => {
    const req = http.request(
      `${app.baseUrl}${path}`,
      {
        method,
        agent: false,
        headers: {
          cookie: Object.entries(cookies)
            .map(([k, v]) => `${k}=${v}`)
            .join('; '),
          'x-tenant-id': who.id,
          'x-csrf-token': cookies.csrf_token ?? '',
          'content-type': 'application/json',
        },
      },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (text += chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(body === undefined ? undefined : JSON.stringify(body));
  });
}

/** Rejects when `promise` has not settled within `ms`. */
function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} took over ${ms} ms`)), ms);
  });
  return Promise.race([promise, deadline]).finally(() => clearTimeout(timer));
}

describe('export to a client that does not read', () => {
  it('lets other workspaces work meanwhile and exports a consistent chain', async () => {
    const [exporter, other] = await Promise.all([buildTenant(app, 'Exporter'), buildTenant(app)]);
    await inTransaction(app.database, { tenantId: exporter.id }, async (tx) => {
      for (let i = 0; i < EVENTS; i++) {
        await recordAuditEvent(
          tx,
          exporter.id,
          { type: 'system', id: null, label: 'bulk' },
          { ip: null, userAgent: null, requestId: null },
          { action: 'test.bulk', changes: { i, padding: PADDING } },
        );
      }
    });

    const chunks: Buffer[] = [];
    let ended = false;
    const response = await new Promise<http.IncomingMessage>((resolve, reject) => {
      http
        .get(
          `${app.baseUrl}/api/v1/audit-logs/export`,
          {
            agent: false,
            headers: {
              cookie: [...exporter.owner.client.cookies].map(([k, v]) => `${k}=${v}`).join('; '),
              'x-tenant-id': exporter.id,
            },
          },
          (res) => {
            // Read one chunk, then stop reading: the server's writes back up.
            res.once('data', (chunk: Buffer) => {
              chunks.push(chunk);
              res.pause();
              resolve(res);
            });
            res.on('end', () => (ended = true));
            res.on('error', reject);
          },
        )
        .on('error', reject);
    });
    expect(response.statusCode).toBe(200);

    // Another workspace reads and writes; the exporting one writes too (appended during export).
    const list = await within(call(other, 'GET', '/api/v1/sites'), 15_000, 'a read elsewhere');
    expect(list.status, list.text).toBe(200);
    const created = await within(
      call(other, 'POST', '/api/v1/sites', { name: 'B', domain: `${uniq()}.example.com` }),
      15_000,
      'a write elsewhere',
    );
    expect(created.status, created.text).toBe(201);
    const appended = await within(
      call(exporter, 'POST', '/api/v1/sites', { name: 'A', domain: `${uniq()}.example.com` }),
      15_000,
      'a write in the exporting workspace',
    );
    expect(appended.status, appended.text).toBe(201);
    expect(ended).toBe(false);

    response.on('data', (chunk: Buffer) => chunks.push(chunk));
    response.resume();
    await eventually(async () => ended, 60_000);

    const events = Buffer.concat(chunks)
      .toString('utf8')
      .trimEnd()
      .split('\n')
      .map((line) => JSON.parse(line) as { seq: number; prevHash: string; hash: string });
    expect(events.length).toBeGreaterThan(EVENTS);
    events.forEach((event, i) => {
      expect(event.seq).toBe(i + 1);
      if (i > 0) expect(event.prevHash).toBe(events[i - 1]!.hash);
    });

    const recorded = await eventually(async () => {
      const rows = await app.database.db
        .selectFrom('audit_events')
        .select(['changes'])
        .where('tenant_id', '=', exporter.id)
        .where('action', '=', 'audit_log.exported')
        .execute();
      return rows.length === 1
        ? (rows[0]!.changes as { events: number; completed: boolean })
        : null;
    });
    expect(recorded).toMatchObject({ events: events.length, completed: true });
  }, 120_000);
});
