import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { Writable } from 'node:stream';
import express from 'express';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { requestLogger } from '../../src/server/http/request-log.ts';

/** The request log: one line per request, at a level that follows the status, without secrets. */
describe('request log', () => {
  const lines: Record<string, unknown>[] = [];
  let server: Server;
  let base: string;

  beforeAll(async () => {
    const sink = new Writable({
      write(chunk: Buffer, _encoding, callback) {
        for (const line of chunk.toString().split('\n').filter(Boolean))
          lines.push(JSON.parse(line));
        callback();
      },
    });
    const app = express();
    app.use(requestLogger(pino({ level: 'info' }, sink)));
    app.get('/healthz', (_req, res) => void res.send('ok'));
    app.get('/ok', (_req, res) => void res.send('ok'));
    app.get('/missing', (_req, res) => void res.status(404).send('no'));
    app.get('/broken', (req, res) => {
      req.log?.error({ detail: 42 }, 'it broke');
      res.status(500).send('no');
    });
    app.get('/hang', (req) => void req.socket.destroy());
    server = await new Promise<Server>((resolve) => {
      const s = app.listen(0, '127.0.0.1', () => resolve(s));
    });
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  const until = async (n: number) => {
    for (let i = 0; i < 100 && lines.length < n; i++) await new Promise((r) => setTimeout(r, 10));
  };

  it('logs one line per request with id, method, path, status and time; not health checks', async () => {
    lines.length = 0;
    const res = await fetch(`${base}/ok?key=secret`, {
      headers: { 'x-request-id': 'req-1', authorization: 'Bearer secret' },
    });
    expect(res.headers.get('x-request-id')).toBe('req-1');
    await fetch(`${base}/healthz`);
    const missing = await fetch(`${base}/missing`, { headers: { 'x-request-id': 'bad id' } });
    const freshId = missing.headers.get('x-request-id');
    expect(freshId).toMatch(/^[0-9a-f-]{36}$/);
    await until(2);
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatchObject({
      level: 30,
      msg: 'request completed',
      req: { id: 'req-1', method: 'GET', url: '/ok' },
      res: { statusCode: 200 },
    });
    expect(typeof lines[0]!.responseTime).toBe('number');
    expect(lines[1]).toMatchObject({ level: 40, req: { id: freshId }, res: { statusCode: 404 } });
    expect(JSON.stringify(lines)).not.toContain('secret');
  });

  it("binds the request to the handler's logger and logs failures as errors", async () => {
    lines.length = 0;
    await fetch(`${base}/broken`, { headers: { 'x-request-id': 'req-2' } });
    await until(2);
    expect(lines[0]).toMatchObject({
      level: 50,
      msg: 'it broke',
      detail: 42,
      req: { id: 'req-2' },
    });
    expect(lines[1]).toMatchObject({ level: 50, req: { id: 'req-2' }, res: { statusCode: 500 } });
    expect(lines).toHaveLength(2);
  });

  it('logs a request whose connection closed before the response as aborted', async () => {
    lines.length = 0;
    await fetch(`${base}/hang`).catch(() => undefined);
    await until(1);
    expect(lines).toMatchObject([{ level: 50, msg: 'request aborted', req: { url: '/hang' } }]);
  });
});
