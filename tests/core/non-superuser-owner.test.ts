import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase, type Database } from '../../src/server/data/database.ts';
import { migrate } from '../../src/server/data/migrate.ts';
import { addMember, buildTenant, createApiKey, setPlan } from '../support/factories.ts';
import { startTestApp, type TestApp } from '../support/test-app.ts';

/**
 * Managed PostgreSQL gives an owner that is no superuser and cannot bypass row-level security.
 * Migrations and every look-up that runs before the tenant is known must still work there.
 */
const adminUrl = process.env.DATABASE_URL;

describe.runIf(adminUrl)('a database owned by a role without superuser or BYPASSRLS', () => {
  const suffix = randomBytes(4).toString('hex');
  const owner = `roi_owner_${suffix}`;
  const dbName = `roi_owned_${suffix}`;
  let database: Database;
  let app: TestApp;

  const admin = async (statements: string[]) => {
    const client = new pg.Client({ connectionString: adminUrl });
    await client.connect();
    try {
      for (const s of statements) await client.query(s);
    } finally {
      await client.end();
    }
  };

  beforeAll(async () => {
    await admin([
      `CREATE ROLE ${owner} LOGIN CREATEROLE NOSUPERUSER NOBYPASSRLS`,
      `CREATE DATABASE ${dbName} OWNER ${owner}`,
    ]);
    const url = new URL(adminUrl!);
    url.username = owner;
    url.pathname = `/${dbName}`;
    database = await openDatabase({ databaseUrl: url.href, dataDir: 'memory://' });
    await migrate(database);
    app = await startTestApp({ database });
  });

  afterAll(async () => {
    await app?.close();
    await database?.close();
    await admin([
      `DROP DATABASE IF EXISTS ${dbName} WITH (FORCE)`,
      `DROP OWNED BY ${owner}`,
      `DROP ROLE IF EXISTS ${owner}`,
    ]).catch(() => undefined);
  });

  it('migrates and authenticates API keys', async () => {
    const t = await buildTenant(app);
    const key = await createApiKey(t, 'admin');
    const res = await app.client().get('/api/v1/tenant', { apiKey: key });
    expect(res.status, res.text).toBe(200);
    expect(res.body.id).toBe(t.id);
  });

  it('accepts invitations', async () => {
    const t = await buildTenant(app);
    await setPlan(app, t, 'starter');
    const member = await addMember(app, t, 'member');
    expect((await member.client.get('/api/v1/tenant')).status).toBe(200);
  });
});
