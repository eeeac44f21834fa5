import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase, type Database } from '../../src/server/data/database.ts';
import { migrate } from '../../src/server/data/migrate.ts';
import { hashPassword, verifyPassword } from '../../src/server/domain/accounts/passwords.ts';
import { sql } from 'kysely';
import type { Tx } from '../../src/server/data/database.ts';
import {
  assertOutsideTransaction,
  inTransaction,
  useGenericPlans,
} from '../../src/server/data/scoped-transaction.ts';

let database: Database;
beforeAll(async () => {
  database = await openDatabase({
    databaseUrl: process.env.DATABASE_URL,
    dataDir: 'memory://',
  });
  if (!process.env.DATABASE_URL) await migrate(database);
});
afterAll(async () => {
  await database.close();
});

describe('assertOutsideTransaction', () => {
  it('throws inside a transaction, also across awaits, and not before or after', async () => {
    expect(() => assertOutsideTransaction('a Stripe call')).not.toThrow();
    await expect(
      inTransaction(database, {}, async () => {
        await new Promise((r) => setImmediate(r));
        assertOutsideTransaction('a Stripe call');
      }),
    ).rejects.toThrow(/a Stripe call inside a database transaction/);
    expect(() => assertOutsideTransaction('a Stripe call')).not.toThrow();
  });

  it('keeps password hashing out of transactions, where it would stall every tenant', async () => {
    await expect(
      inTransaction(database, {}, () => hashPassword('a long password')),
    ).rejects.toThrow(/password hashing inside a database transaction/);
    await expect(
      inTransaction(database, {}, () => verifyPassword(null, 'a long password')),
    ).rejects.toThrow(/password hashing inside a database transaction/);
    const hash = await hashPassword('a long password');
    expect(await verifyPassword(hash, 'a long password')).toBe(true);
  });
});

describe('the transaction scope', () => {
  const planMode = (tx: Tx) =>
    sql<{ mode: string }>`SELECT current_setting('plan_cache_mode') AS mode`
      .execute(tx)
      .then((r) => r.rows[0]!.mode);

  it('switches to generic plans in the scope statement itself when asked, and only then', async () => {
    expect(await inTransaction(database, {}, planMode)).toBe('auto');
    expect(await inTransaction(database, { genericPlans: true }, planMode)).toBe(
      'force_generic_plan',
    );
    // Nothing is left to send: useGenericPlans goes through even in a transaction that can run
    // no further statement.
    await inTransaction(database, { genericPlans: true }, async (tx) => {
      await sql`SELECT 1 / 0`.execute(tx).catch(() => undefined);
      await useGenericPlans(tx);
    }).catch((error: unknown) => {
      expect(String(error)).not.toMatch(/current transaction is aborted/);
    });
    // Without it in the scope, useGenericPlans switches the rest of the transaction.
    expect(
      await inTransaction(database, {}, async (tx) => {
        await useGenericPlans(tx);
        return planMode(tx);
      }),
    ).toBe('force_generic_plan');
    expect(await inTransaction(database, {}, planMode)).toBe('auto');
  });

  it('refuses a scope value that is not an id, a hash or a name, before any statement', async () => {
    await expect(
      inTransaction(database, { tenantId: "x', true), set_config('role', 'postgres" }, planMode),
    ).rejects.toThrow(/not an id, hash or name/);
  });
});
