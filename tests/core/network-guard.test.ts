import http from 'node:http';
import net from 'node:net';
import { Redis } from 'ioredis';
import Stripe from 'stripe';
import { describe, expect, it } from 'vitest';

// The guard in tests/support/setup.ts fails the test that made a stray connection once it
// ends; this test takes the strays it makes on purpose, and checks each client was caught.
const takeStrays = () =>
  ((globalThis as { __networkStrays?: string[] }).__networkStrays ?? []).splice(0);
async function expectRefused(attempt: () => Promise<unknown>) {
  await expect(attempt()).rejects.toThrow();
}

describe('outbound network in tests', () => {
  it('refuses fetch, node:http, the Stripe SDK and ioredis to anything but loopback', async () => {
    await expectRefused(() => fetch('http://192.0.2.1/'));
    await expectRefused(
      () =>
        new Promise((resolve, reject) => {
          http.get('http://192.0.2.1/', resolve).on('error', reject);
        }),
    );
    const stripe = new Stripe('sk_test_x', { maxNetworkRetries: 0, timeout: 2000 });
    await expectRefused(() => stripe.customers.list());
    const redis = new Redis({
      host: '192.0.2.1',
      lazyConnect: true,
      maxRetriesPerRequest: 0,
      retryStrategy: () => null,
    });
    redis.on('error', () => undefined); // the refusal is asserted below
    await expectRefused(() => redis.connect());
    redis.disconnect();
    const strays = takeStrays();
    expect(strays.length).toBeGreaterThanOrEqual(4);
    expect(strays.filter((s) => s.includes('192.0.2.1'))).toHaveLength(strays.length - 1);
    expect(strays.filter((s) => s.includes('api.stripe.com'))).toHaveLength(1);
  });

  it('lets loopback through', async () => {
    const server = net.createServer((s) => s.end());
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const { port } = server.address() as net.AddressInfo;
    const socket = net.connect(port, '127.0.0.1');
    await new Promise<void>((resolve, reject) => socket.on('connect', resolve).on('error', reject));
    socket.destroy();
    await new Promise((r) => server.close(r));
  });
});
