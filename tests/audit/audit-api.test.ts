import { parse as parseCsv } from 'csv-parse/sync';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AUDIT_CSV_COLUMNS } from '../../src/server/domain/audit/export-audit-events.ts';
import {
  addMember,
  buildTenant,
  createApiKey,
  uniq,
  type TestTenant,
} from '../support/factories.ts';
import { startTestApp, type TestApp } from '../support/test-app.ts';
import type { TestResponse } from '../support/test-client.ts';
import {
  dropMongoTestDatabase,
  getText,
  MONGO_SKIP_REASON,
  MONGODB_URL,
  mongoTestUrl,
  readChain,
  setPlan,
  syncAuditStore,
} from './audit-support.ts';

/**
 * The audit log endpoints as the contract describes them, run against each read store: PostgreSQL
 * always, MongoDB when MONGODB_URL is set (skipped, and said so, otherwise).
 */
const EVENT_KEYS = [
  'action',
  'actor',
  'changes',
  'id',
  'ip',
  'occurredAt',
  'requestId',
  'seq',
  'target',
  'userAgent',
];
const ROUTES = [
  '/api/v1/audit-logs',
  '/api/v1/audit-logs/export?format=ndjson',
  '/api/v1/audit-logs/verify',
];

const backends = [
  { name: 'PostgreSQL', enabled: true, env: () => ({}) },
  { name: 'MongoDB', enabled: Boolean(MONGODB_URL), env: () => ({ MONGODB_URL: mongoTestUrl() }) },
];

if (!MONGODB_URL) {
  describe(`audit log API on MongoDB — ${MONGO_SKIP_REASON}`, () => {
    it.skip(MONGO_SKIP_REASON, () => {});
  });
  console.warn(`[tests/audit/audit-api] ${MONGO_SKIP_REASON}`);
}

for (const backend of backends.filter((b) => b.enabled)) {
  describe(`audit log API on ${backend.name}`, () => {
    let app: TestApp;
    beforeAll(async () => {
      app = await startTestApp({ env: backend.env() });
    });
    afterAll(async () => {
      await dropMongoTestDatabase(app);
      await app.close();
    });

    /** A tenant with some history: three renames by the owner, two by an admin API key. */
    async function tenantWithHistory() {
      const tenant = await buildTenant(app);
      const requestIds: string[] = [];
      for (let i = 0; i < 3; i++) {
        const res = await tenant.owner.client.patch('/api/v1/tenant', {
          name: `Owner rename ${i}`,
        });
        expect(res.status, res.text).toBe(200);
        requestIds.push(res.headers.get('x-request-id')!);
      }
      const keyRes = await tenant.owner.client.post('/api/v1/api-keys', {
        name: `k-${uniq()}`,
        role: 'admin',
      });
      expect(keyRes.status, keyRes.text).toBe(201);
      for (let i = 0; i < 2; i++) {
        const res = await app
          .client()
          .patch('/api/v1/tenant', { name: `Key rename ${i}` }, { apiKey: keyRes.body.key });
        expect(res.status, res.text).toBe(200);
      }
      await syncAuditStore(app);
      return {
        tenant,
        requestIds,
        key: { id: keyRes.body.id as string, secret: keyRes.body.key as string },
      };
    }

    async function listAll(tenant: TestTenant, query: string) {
      const res = await tenant.owner.client.get(`/api/v1/audit-logs?${query}`);
      expect(res.status, res.text).toBe(200);
      return res.body.data as {
        seq: number;
        action: string;
        actor: { type: string; id: string };
      }[];
    }

    it('lists events newest first in the contract shape, with who, what, where and the request id', async () => {
      const { tenant, requestIds, key } = await tenantWithHistory();
      const res = await tenant.owner.client.get('/api/v1/audit-logs');
      expect(res.status, res.text).toBe(200);
      expect(Object.keys(res.body).sort()).toEqual(['data', 'nextCursor']);
      const data = res.body.data;
      expect(data.map((e: { action: string }) => e.action)).toEqual([
        'tenant.updated',
        'tenant.updated',
        'api_key.created',
        'tenant.updated',
        'tenant.updated',
        'tenant.updated',
        'tenant.created',
      ]);
      expect(data.map((e: { seq: number }) => e.seq)).toEqual([7, 6, 5, 4, 3, 2, 1]);
      for (const event of data) expect(Object.keys(event).sort()).toEqual(EVENT_KEYS);
      const [byKey, , , byOwner] = data;
      expect(byKey.actor).toEqual({ type: 'api_key', id: key.id, label: expect.any(String) });
      expect(byOwner).toMatchObject({
        actor: { type: 'user', id: tenant.owner.user.id, label: tenant.owner.user.email },
        target: { type: 'tenant', id: tenant.id },
        changes: { name: { from: 'Owner rename 1', to: 'Owner rename 2' } },
        requestId: requestIds[2],
        ip: expect.any(String),
        userAgent: expect.any(String),
      });
      expect(new Date(byOwner.occurredAt).toISOString()).toBe(byOwner.occurredAt);
      expect(data.at(-1)).toMatchObject({
        action: 'tenant.created',
        seq: 1,
        actor: { id: tenant.owner.user.id },
      });
    });

    it('filters by action (exact or prefix), actor, target and time range', async () => {
      const { tenant, key } = await tenantWithHistory();
      expect(await listAll(tenant, 'action=tenant.updated')).toHaveLength(5);
      expect((await listAll(tenant, 'action=api_key.*')).map((e) => e.action)).toEqual([
        'api_key.created',
      ]);
      expect(await listAll(tenant, 'action=tenant.*')).toHaveLength(6);
      const byKey = await listAll(tenant, `actorId=${key.id}`);
      expect(byKey.map((e) => e.seq)).toEqual([7, 6]);
      expect(
        await listAll(tenant, `actorId=${tenant.owner.user.id}&action=tenant.updated`),
      ).toHaveLength(3);
      expect(await listAll(tenant, `targetType=tenant&targetId=${tenant.id}`)).toHaveLength(6);
      expect(await listAll(tenant, `targetType=api_key&targetId=${key.id}`)).toHaveLength(1);
      const today = new Date().toISOString().slice(0, 10);
      const tomorrow = new Date(Date.now() + 86_400_000).toISOString().slice(0, 10);
      const yesterday = new Date(Date.now() - 86_400_000).toISOString().slice(0, 10);
      // (Every list call appends an audit_log.read event: these filters leave them out.)
      expect(
        await listAll(tenant, `action=tenant.*&from=${yesterday}&to=${tomorrow}`),
      ).toHaveLength(6);
      expect(await listAll(tenant, `from=${tomorrow}`)).toHaveLength(0);
      expect(await listAll(tenant, `to=${yesterday}`)).toHaveLength(0);
      expect(await listAll(tenant, `action=tenant.*&from=${today}&to=${today}`)).toHaveLength(6);
      const list = await tenant.owner.client.get('/api/v1/audit-logs?action=tenant.*');
      const third = list.body.data.find((e: { seq: number }) => e.seq === 3);
      const upTo3 = await listAll(
        tenant,
        `action=tenant.*&to=${encodeURIComponent(third.occurredAt)}`,
      );
      expect(upTo3.map((e) => e.seq)).toEqual(
        [3, 2, 1].filter((seq) => upTo3.some((e) => e.seq === seq)),
      );
      expect(upTo3.map((e) => e.seq)).toContain(3);
      const from3 = await listAll(
        tenant,
        `action=tenant.*&from=${encodeURIComponent(third.occurredAt)}`,
      );
      expect(from3.map((e) => e.seq)).toContain(3);
      expect(from3.every((e) => e.seq >= 3 || e.seq === 1 || e.seq === 2)).toBe(true);
    });

    it('walks cursor pages without gaps or repeats', async () => {
      const { tenant } = await tenantWithHistory();
      const seen: number[] = [];
      let cursor: string | null = null;
      let pages = 0;
      do {
        const res: TestResponse = await tenant.owner.client.get(
          `/api/v1/audit-logs?limit=2&action=tenant.*${cursor ? `&cursor=${cursor}` : ''}`,
        );
        expect(res.status, res.text).toBe(200);
        expect(res.body.data.length).toBeLessThanOrEqual(2);
        seen.push(...res.body.data.map((e: { seq: number }) => e.seq));
        cursor = res.body.nextCursor;
        pages += 1;
      } while (cursor && pages < 10);
      expect(seen).toEqual([7, 6, 4, 3, 2, 1]);
      expect(pages).toBe(3);
    });

    it('rejects bad filters and forged cursors with 400', async () => {
      const tenant = await buildTenant(app);
      for (const query of [
        'action=DROP%20TABLE',
        'from=yesterday',
        'limit=500',
        'cursor=bm9wZQ',
        'from=2026-02-02&to=2026-02-01',
        'format=xml',
      ]) {
        const path = query.startsWith('format')
          ? '/api/v1/audit-logs/export'
          : '/api/v1/audit-logs';
        const res = await tenant.owner.client.get(`${path}?${query}`);
        expect(res.status, `${query}: ${res.text}`).toBe(400);
        expect(res.headers.get('content-type')).toMatch(/problem\+json/);
      }
    });

    it('exports NDJSON oldest first, with the hashes that let an auditor re-check the chain', async () => {
      const { tenant } = await tenantWithHistory();
      const res = await getText(tenant.owner.client, '/api/v1/audit-logs/export?format=ndjson');
      expect(res.status, res.text).toBe(200);
      expect(res.headers.get('content-type')).toMatch(/^application\/x-ndjson/);
      expect(res.headers.get('content-disposition')).toMatch(
        new RegExp(`attachment; filename="audit-log-${tenant.subdomain}-.*\\.ndjson"`),
      );
      const lines = res.text
        .trimEnd()
        .split('\n')
        .map((l) => JSON.parse(l));
      expect(lines.map((e) => e.seq)).toEqual([1, 2, 3, 4, 5, 6, 7]);
      const stored = await readChain(app, tenant.id);
      for (const line of lines) {
        expect(Object.keys(line).sort()).toEqual([...EVENT_KEYS, 'hash', 'prevHash'].sort());
        const row = stored.find((r) => r.seq === line.seq)!;
        expect(line.hash).toBe(row.hash);
        expect(line.prevHash).toBe(row.prev_hash);
      }
      for (let i = 1; i < lines.length; i++) expect(lines[i].prevHash).toBe(lines[i - 1].hash);
      const filtered = await getText(
        tenant.owner.client,
        '/api/v1/audit-logs/export?action=api_key.created',
      );
      expect(filtered.text.trimEnd().split('\n')).toHaveLength(1);
    });

    it('exports CSV with a header row, JSON changes and formula-safe cells', async () => {
      const tenant = await buildTenant(app);
      const res1 = await tenant.owner.client.patch(
        '/api/v1/tenant',
        { name: 'Comma, "quoted"\nnew line' },
        {
          headers: { 'user-agent': '=HYPERLINK("http://evil.test")' },
        },
      );
      expect(res1.status, res1.text).toBe(200);
      await syncAuditStore(app);
      const res = await tenant.owner.client.get('/api/v1/audit-logs/export?format=csv');
      expect(res.status, res.text).toBe(200);
      expect(res.headers.get('content-type')).toMatch(/^text\/csv/);
      const rows = parseCsv(res.text, { columns: true }) as Record<string, string>[];
      expect(Object.keys(rows[0]!)).toEqual([...AUDIT_CSV_COLUMNS]);
      expect(rows.map((r) => r.action)).toEqual(['tenant.created', 'tenant.updated']);
      const updated = rows[1]!;
      expect(JSON.parse(updated.changes!)).toEqual({
        name: { from: 'Acme SEO', to: 'Comma, "quoted"\nnew line' },
      });
      expect(updated.userAgent).toBe(`'=HYPERLINK("http://evil.test")`);
      expect(updated.actorId).toBe(tenant.owner.user.id);
      expect(updated.seq).toBe('2');
    });

    it('verifies the chain', async () => {
      const { tenant } = await tenantWithHistory();
      const res = await tenant.owner.client.get('/api/v1/audit-logs/verify');
      expect(res.status, res.text).toBe(200);
      expect(res.body).toEqual({ valid: true, checked: 7, firstInvalidSeq: null });
    });

    it('records reading, exporting and verifying the log in the log itself', async () => {
      const tenant = await buildTenant(app);
      await syncAuditStore(app);
      expect(
        (await tenant.owner.client.get('/api/v1/audit-logs?action=tenant.created')).status,
      ).toBe(200);
      expect((await tenant.owner.client.get('/api/v1/audit-logs/export?format=csv')).status).toBe(
        200,
      );
      expect((await tenant.owner.client.get('/api/v1/audit-logs/verify')).status).toBe(200);
      await syncAuditStore(app);
      const res = await tenant.owner.client.get('/api/v1/audit-logs?action=audit_log.*');
      expect(res.body.data.map((e: { action: string }) => e.action)).toEqual([
        'audit_log.verified',
        'audit_log.exported',
        'audit_log.read',
      ]);
      const [verified, exported, read] = res.body.data;
      expect(read).toMatchObject({
        actor: { type: 'user', id: tenant.owner.user.id },
        target: { type: 'audit_log', id: tenant.id },
        changes: { filter: { action: 'tenant.created' }, returned: 1 },
      });
      expect(exported.changes).toMatchObject({
        format: 'csv',
        completed: true,
        store: backend.name === 'MongoDB' ? 'mongodb' : 'postgres',
      });
      expect(verified.changes).toMatchObject({ valid: true, firstInvalidSeq: null });
      if (backend.name === 'PostgreSQL') {
        // (MongoDB holds what the relay had shipped by then, so its counts depend on timing.)
        expect(exported.changes.events).toBe(2);
        expect(verified.changes.checked).toBe(3);
      }
    });

    it('is open to owners, admins and admin API keys only; members and clients get 403, recorded as denied', async () => {
      const tenant = await buildTenant(app);
      await setPlan(app, tenant.id, 'agency');
      const admin = await addMember(app, tenant, 'admin');
      const member = await addMember(app, tenant, 'member');
      const client = await addMember(app, tenant, 'client');
      const adminKey = await createApiKey(tenant, 'admin');
      const memberKey = await createApiKey(tenant, 'member');
      await syncAuditStore(app);
      for (const path of ROUTES) {
        expect((await getText(tenant.owner.client, path)).status, path).toBe(200);
        expect((await getText(admin.client, path)).status, path).toBe(200);
        expect((await getText(app.client(), path, { apiKey: adminKey })).status, path).toBe(200);
        for (const denied of [member.client, client.client]) {
          const res = await denied.get(path);
          expect(res.status, `${path}: ${res.text}`).toBe(403);
          expect(res.headers.get('content-type')).toMatch(/problem\+json/);
        }
        expect((await app.client().get(path, { apiKey: memberKey })).status, path).toBe(403);
        expect((await app.client().get(path, { tenant: tenant.id })).status, path).toBe(401);
      }
      const denied = (await readChain(app, tenant.id)).filter(
        (e) => e.action === 'security.access_denied',
      );
      expect(denied).toHaveLength(ROUTES.length * 3);
    });

    it("answers another tenant's members, and its API keys, with the same 404 as an unknown tenant", async () => {
      const [victim, attacker] = await Promise.all([
        buildTenant(app, 'Victim'),
        buildTenant(app, 'Attacker'),
      ]);
      const attackerKey = await createApiKey(attacker, 'owner');
      await syncAuditStore(app);
      for (const path of ROUTES) {
        const byId = await attacker.owner.client.get(path, { tenant: victim.id });
        const bySubdomain = await attacker.owner.client.get(path, { tenant: victim.subdomain });
        const unknown = await attacker.owner.client.get(path, {
          tenant: '00000000-0000-4000-8000-000000000000',
        });
        expect(byId.status, path).toBe(404);
        expect(unknown.status, path).toBe(404);
        expect({ ...byId.body, instance: undefined }).toEqual({
          ...unknown.body,
          instance: undefined,
        });
        expect(bySubdomain.status, path).toBe(404);
        expect(
          (await app.client().get(path, { apiKey: attackerKey, tenant: victim.id })).status,
          path,
        ).toBe(404);
      }
      // Each tenant's log holds its own events only.
      const own = await attacker.owner.client.get('/api/v1/audit-logs?limit=200');
      expect(
        own.body.data.every((e: { target: { id: string } }) => e.target.id !== victim.id),
      ).toBe(true);
      const viaKey = await getText(app.client(), '/api/v1/audit-logs/export', {
        apiKey: attackerKey,
      });
      expect(viaKey.text).not.toContain(victim.id);
    });
  });
}
