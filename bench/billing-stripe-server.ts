/**
 * The benchmark's Stripe-compatible server in a process of its own (so it does not share an event
 * loop with the senders):
 *   npx tsx bench/billing-stripe-server.ts <state.json> <port> <key> <whsec> <control port>
 * The control port answers `POST /touch?count=N` with N fresh `customer.subscription.updated`
 * events spread over every subscription, created now (so the worker's reconciliation, which
 * leaves events younger than 5 minutes to the webhook, does not race the benchmark's senders).
 */
import http from 'node:http';
import { startSandboxServer } from '../src/server/sandbox/sandbox-server.ts';

const [persistFile, port, secretKey, webhookSecret, controlPort] = process.argv.slice(2);
const server = await startSandboxServer({
  persistFile,
  port: Number(port),
  secretKey,
  webhookSecret,
  webhookUrl: null,
});
const subs = server.sandbox
  .listSubscriptions({ status: 'all' })
  .filter((s) => s.status === 'active')
  .map((s) => s.id);
let next = 0;
http
  .createServer((req, res) => {
    const count = Number(new URL(req.url ?? '/', 'http://x').searchParams.get('count') ?? 0);
    const events = [];
    for (let i = 0; i < count; i++)
      events.push(server.sandbox.touchSubscription(subs[next++ % subs.length]!));
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify(events));
  })
  .listen(Number(controlPort), '127.0.0.1');
console.log(`stripe-compatible server on ${server.url}, ${subs.length} subscriptions`);
process.on('SIGTERM', () => {
  // Never write the benchmark's state back.
  process.exit(0);
});
