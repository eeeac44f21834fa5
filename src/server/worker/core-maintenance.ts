import { sql } from 'kysely';
import { deleteExpiredIdempotencyKeys } from '../data/idempotency-keys.ts';
import { inTransaction } from '../data/scoped-transaction.ts';
import { every, type WorkerModule } from './worker-module.ts';

/** Deletes idempotency keys past their 24 h and sessions expired for a week. */
export const coreMaintenance: WorkerModule = {
  name: 'core-maintenance',
  async start(services) {
    return every(services, 'core-maintenance', 15 * 60_000, async () => {
      await inTransaction(services.database, {}, async (tx) => {
        await deleteExpiredIdempotencyKeys(tx);
        await sql`DELETE FROM sessions WHERE expires_at < now() - interval '7 days'`.execute(tx);
      });
    });
  },
};
