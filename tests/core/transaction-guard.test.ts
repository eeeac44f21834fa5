import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase, type Database } from '../../src/server/data/database.ts';
import { migrate } from '../../src/server/data/migrate.ts';
import { hashPassword, verifyPassword } from '../../src/server/domain/accounts/passwords.ts';
import {
  assertOutsideTransaction,
  inTransaction,
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
