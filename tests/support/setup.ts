// Tests talk to loopback only. Every client this project uses (fetch/undici, node:http and
// https, the Stripe SDK, ioredis, pg, the MongoDB driver) opens its connections through
// net.Socket#connect, so refusing other addresses there covers them all: the connection fails
// at once with a clear error, and the test that made it fails even if the client swallowed it.
import net from 'node:net';
import { afterEach } from 'vitest';

const LOOPBACK_NAMES = new Set(['localhost', '127.0.0.1', '::1', '[::1]', '::ffff:127.0.0.1']);
// On globalThis so tests/core/network-guard.test.ts can take the strays it makes on purpose.
const strays: string[] = ((globalThis as { __networkStrays?: string[] }).__networkStrays ??= []);

/** The host a Socket#connect call names, or null for a local (Unix) socket. */
function connectHost(args: unknown[]): string | null {
  // net.connect passes its normalised arguments as one array.
  const first = Array.isArray(args[0]) ? args[0][0] : args[0];
  if (first && typeof first === 'object') {
    const options = first as { path?: string; host?: string };
    if (options.path) return null;
    return options.host ?? 'localhost';
  }
  if (typeof first === 'number' || (typeof first === 'string' && /^\d+$/.test(first))) {
    return typeof args[1] === 'string' ? args[1] : 'localhost';
  }
  return null; // a path
}

function isLoopback(host: string): boolean {
  const h = host.toLowerCase();
  return LOOPBACK_NAMES.has(h) || h.startsWith('127.') || h.endsWith('.localhost');
}

const originalConnect = net.Socket.prototype.connect;
net.Socket.prototype.connect = function connect(this: net.Socket, ...args: unknown[]) {
  const host = connectHost(args);
  if (host !== null && !isLoopback(host)) {
    const message = `Test opened a connection to ${host}; tests must stay on loopback`;
    strays.push(message);
    process.nextTick(() => this.destroy(new Error(message)));
    return this;
  }
  return (originalConnect as (...a: unknown[]) => net.Socket).apply(this, args);
} as typeof net.Socket.prototype.connect;

afterEach(() => {
  if (strays.length > 0) throw new Error(strays.splice(0).join('\n'));
});
