/**
 * Operator tool for the Stripe webhook inbox, for events no workspace owns (a customer the app
 * does not know, so the tenant-scoped API cannot list them) and for bulk replays.
 *
 *   npx tsx scripts/stripe-events.ts list [dead|pending|processed|ignored|all] [--unresolved]
 *   npx tsx scripts/stripe-events.ts replay <evt_…> [<evt_…> …]
 *   npx tsx scripts/stripe-events.ts replay-dead [--unresolved]
 *
 * Uses the same environment as the app (DATABASE_URL, or the embedded database in DATA_DIR, which
 * needs the app stopped). A replay puts the event back to `pending` with its attempts reset; the
 * running worker's sweeper enqueues it within BILLING_SWEEP_AFTER_MS. Processing re-reads Stripe,
 * so replaying an event that already applied changes nothing.
 */
import { loadConfig } from '../src/server/config.ts';
import { openDatabase } from '../src/server/data/database.ts';
import { migrate } from '../src/server/data/migrate.ts';
import { inTransaction } from '../src/server/data/scoped-transaction.ts';

const [command = 'list', ...args] = process.argv.slice(2);
const unresolved = args.includes('--unresolved');
const config = loadConfig();
const database = await openDatabase({ databaseUrl: config.DATABASE_URL, dataDir: config.dataDir });
await migrate(database);

try {
  if (command === 'list') {
    const status = args.find((a) => !a.startsWith('--')) ?? 'dead';
    const rows = await inTransaction(database, {}, (tx) => {
      let q = tx
        .selectFrom('stripe_webhook_events')
        .select([
          'id',
          'type',
          'status',
          'attempts',
          'resolved_tenant_id',
          'received_at',
          'last_error',
        ])
        .orderBy('received_at', 'desc')
        .limit(500);
      if (status !== 'all') q = q.where('status', '=', status as 'dead');
      if (unresolved) q = q.where('resolved_tenant_id', 'is', null);
      return q.execute();
    });
    for (const r of rows) {
      console.log(
        [
          r.id,
          r.type,
          r.status,
          `attempts=${r.attempts}`,
          `tenant=${r.resolved_tenant_id ?? '-'}`,
          r.received_at.toISOString(),
          r.last_error ?? '',
        ].join('\t'),
      );
    }
    console.error(`${rows.length} event(s)`);
  } else if (command === 'replay' || command === 'replay-dead') {
    const ids = args.filter((a) => !a.startsWith('--'));
    if (command === 'replay' && ids.length === 0) throw new Error('name the event ids to replay');
    const replayed = await inTransaction(database, {}, (tx) => {
      let q = tx
        .updateTable('stripe_webhook_events')
        .set({ status: 'pending', attempts: 0, last_error: null, processed_at: null })
        .where('status', '<>', 'ignored');
      q = command === 'replay' ? q.where('id', 'in', ids) : q.where('status', '=', 'dead');
      if (unresolved) q = q.where('resolved_tenant_id', 'is', null);
      return q.returning('id').execute();
    });
    for (const r of replayed) console.log(r.id);
    console.error(
      `${replayed.length} event(s) back to pending; the worker's sweeper enqueues them`,
    );
  } else {
    throw new Error(`unknown command ${command} (list, replay, replay-dead)`);
  }
} finally {
  await database.close();
}
