import http from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inTransaction } from '../../src/server/data/scoped-transaction.ts';
import { recordAuditEvent } from '../../src/server/domain/audit/record-audit-event.ts';
import { buildTenant, eventually } from '../support/factories.ts';
import { startTestApp, type TestApp } from '../support/test-app.ts';

/** The export streams with backpressure, and a download cut short is still recorded as such. */
let app: TestApp;
beforeAll(async () => {
  app = await startTestApp();
});
afterAll(async () => {
  await app.close();
});

const BIG = 'x'.repeat(80_000);

describe('streamed export', () => {
  it('streams a large log completely, and records a download the client abandons as incomplete', async () => {
    const tenant = await buildTenant(app);
    await inTransaction(app.database, { tenantId: tenant.id }, async (tx) => {
      for (let i = 0; i < 150; i++) {
        await recordAuditEvent(
          tx,
          tenant.id,
          { type: 'system', id: null, label: 'bulk' },
          { ip: null, userAgent: null, requestId: null },
          {
            action: 'test.bulk',
            changes: { i, padding: BIG },
          },
        );
      }
    });
    const options = {
      agent: false as const, // a connection of its own: PGlite blocked the loop past the keep-alive timeout
      headers: {
        cookie: [...tenant.owner.client.cookies].map(([k, v]) => `${k}=${v}`).join('; '),
        'x-tenant-id': tenant.id,
      },
    };
    const url = `${app.baseUrl}/api/v1/audit-logs/export`;

    const text = await new Promise<string>((resolve, reject) => {
      http
        .get(url, options, (res) => {
          expect(res.statusCode).toBe(200);
          let body = '';
          res.setEncoding('utf8');
          res.on('data', (chunk: string) => (body += chunk));
          res.on('end', () => resolve(body));
          res.on('error', reject);
        })
        .on('error', reject);
    });
    const lines = text.trimEnd().split('\n');
    expect(lines).toHaveLength(151);
    expect(JSON.parse(lines[150]!).changes.i).toBe(149);

    // A client that reads the first chunk and hangs up.
    await new Promise<void>((resolve, reject) => {
      const req = http.get(url, options, (res) => {
        res.once('data', () => {
          req.destroy();
          resolve();
        });
      });
      req.on('error', (error: NodeJS.ErrnoException) =>
        error.code === 'ECONNRESET' ? undefined : reject(error),
      );
    });

    const exported = await eventually(async () => {
      const rows = await app.database.db
        .selectFrom('audit_events')
        .select(['changes'])
        .where('tenant_id', '=', tenant.id)
        .where('action', '=', 'audit_log.exported')
        .orderBy('seq')
        .execute();
      return rows.length === 2
        ? rows.map((r) => r.changes as { events: number; completed: boolean })
        : null;
    });
    expect(exported[0]).toMatchObject({ events: 151, completed: true });
    expect(exported[1]).toMatchObject({ completed: false });
    expect(exported[1]!.events).toBeLessThan(151);
  });
});
