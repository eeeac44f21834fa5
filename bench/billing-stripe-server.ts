/**
 * The benchmark's Stripe-compatible server in a process of its own (so it does not share an event
 * loop with the senders): `npx tsx bench/billing-stripe-server.ts <state.json> <port> <key> <whsec>`.
 */
import { startSandboxServer } from '../src/server/sandbox/sandbox-server.ts';

const [persistFile, port, secretKey, webhookSecret] = process.argv.slice(2);
const server = await startSandboxServer({
  persistFile,
  port: Number(port),
  secretKey,
  webhookSecret,
  webhookUrl: null,
});
console.log(`stripe-compatible server on ${server.url}`);
process.on('SIGTERM', () => {
  // Never write the benchmark's state back.
  process.exit(0);
});
