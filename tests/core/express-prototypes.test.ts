import http from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { expressPrototypes } from '../../src/server/http/express-prototypes.ts';

/** Serves one request through an Express app and counts prototype changes made meanwhile. */
async function serveOnce(withClasses: boolean) {
  const app = express();
  app.get('/echo', (req, res) => {
    res.json({ ua: req.get('user-agent'), sameApp: req.app === app, path: req.path });
  });
  const server = withClasses
    ? http.createServer(expressPrototypes(app), app)
    : http.createServer(app);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const setPrototypeOf = Object.setPrototypeOf;
  let changed = 0;
  vi.spyOn(Object, 'setPrototypeOf').mockImplementation((target: object, proto: object | null) => {
    if (Object.getPrototypeOf(target) !== proto) changed += 1;
    return setPrototypeOf(target, proto);
  });
  try {
    const { port } = server.address() as AddressInfo;
    const res = await fetch(`http://127.0.0.1:${port}/echo?x=1`, {
      headers: { 'user-agent': 'probe' },
    });
    return { body: await res.json(), changed };
  } finally {
    vi.restoreAllMocks();
    await new Promise((resolve) => server.close(resolve));
  }
}

describe('Express prototypes given at construction', () => {
  afterEach(() => vi.restoreAllMocks());

  it('spare Express its per-request prototype swap, and requests work the same', async () => {
    const plain = await serveOnce(false);
    const built = await serveOnce(true);
    expect(plain.changed).toBeGreaterThanOrEqual(2);
    expect(built.changed).toBe(0);
    expect(built.body).toEqual({ ua: 'probe', sameApp: true, path: '/echo' });
    expect(built.body).toEqual(plain.body);
  });
});
