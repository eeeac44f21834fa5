import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { brotliDecompressSync, gunzipSync } from 'node:zlib';
import express from 'express';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compressWhenAccepted } from '../../src/server/http/app.ts';
import { buildTenant, createApiKey } from '../support/factories.ts';
import { startTestApp, type TestApp } from '../support/test-app.ts';

let app: TestApp;
beforeAll(async () => {
  app = await startTestApp();
});
afterAll(async () => {
  await app.close();
});

/** A GET through node:http, which (unlike fetch) sends no Accept-Encoding unless told to. */
function plainGet(path: string, headers: Record<string, string> = {}, baseUrl = app.baseUrl) {
  return new Promise<{ status: number; headers: http.IncomingHttpHeaders; bytes: Buffer }>(
    (resolve, reject) => {
      http
        .get(`${baseUrl}${path}`, { headers }, (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (chunk: Buffer) => chunks.push(chunk));
          res.on('end', () =>
            resolve({
              status: res.statusCode ?? 0,
              headers: res.headers,
              bytes: Buffer.concat(chunks),
            }),
          );
        })
        .on('error', reject);
    },
  );
}

describe('response delivery', () => {
  it('compresses with brotli or gzip, as the client accepts', async () => {
    for (const encoding of ['br', 'gzip']) {
      const res = await fetch(`${app.baseUrl}/api/v1/openapi.json`, {
        headers: { 'accept-encoding': encoding },
      });
      expect(res.headers.get('content-encoding')).toBe(encoding);
      expect(res.headers.get('vary')).toMatch(/accept-encoding/i);
      // fetch decodes it: the document arrives whole.
      expect((await res.json()).openapi).toBe('3.1.0');
    }
    const plain = await fetch(`${app.baseUrl}/api/v1/openapi.json`, {
      headers: { 'accept-encoding': 'identity' },
    });
    expect(plain.headers.get('content-encoding')).toBeNull();
  });

  it('sends the body as it is to a client that names no encoding, saying it varies by one', async () => {
    const res = await plainGet('/api/v1/openapi.json');
    expect(res.status).toBe(200);
    expect(res.headers['content-encoding']).toBeUndefined();
    expect(res.headers.vary).toMatch(/accept-encoding/i);
    expect(JSON.parse(res.bytes.toString('utf8')).openapi).toBe('3.1.0');
  });

  it('sends a cached report in the coding asked for, each with its own ETag', async () => {
    const tenant = await buildTenant(app);
    const authorization = `Bearer ${await createApiKey(tenant, 'member')}`;
    const path = '/api/v1/reports/roi?compare=previous';
    // The first is built in the request's transaction and left to compression() to encode.
    const built = await plainGet(path, { authorization, 'accept-encoding': 'gzip' });
    expect(built.headers['content-encoding']).toBe('gzip');
    expect(built.headers.vary).toMatch(/^accept, accept-encoding$/i);
    expect(JSON.parse(gunzipSync(built.bytes).toString('utf8')).currency).toBeTruthy();
    for (let pass = 0; pass < 2; pass++) {
      const plain = await plainGet(path, { authorization });
      expect(plain.status).toBe(200);
      expect(plain.headers['content-encoding']).toBeUndefined();
      expect(plain.headers.vary).toMatch(/^accept, accept-encoding$/i);
      expect(Number(plain.headers['content-length'])).toBe(plain.bytes.length);
      expect(JSON.parse(plain.bytes.toString('utf8')).currency).toBeTruthy();
      const decoders = { gzip: gunzipSync, br: brotliDecompressSync };
      for (const coding of ['gzip', 'br'] as const) {
        const encoded = await plainGet(path, { authorization, 'accept-encoding': coding });
        expect(encoded.headers['content-encoding']).toBe(coding);
        expect(encoded.headers.vary).toMatch(/^accept, accept-encoding$/i);
        expect(Number(encoded.headers['content-length'])).toBe(encoded.bytes.length);
        expect(decoders[coding](encoded.bytes).equals(plain.bytes)).toBe(true);
        const etag = encoded.headers.etag!;
        expect(etag).not.toBe(plain.headers.etag);
        const again = await plainGet(path, {
          authorization,
          'accept-encoding': coding,
          'if-none-match': etag,
        });
        expect(again.status).toBe(304);
        // Another coding's ETag names another representation: the body is sent.
        const other = await plainGet(path, { authorization, 'if-none-match': etag });
        expect(other.status).toBe(200);
      }
      // br whenever it is acceptable, as compression() chooses; gzip when br is refused.
      const browser = await plainGet(path, {
        authorization,
        'accept-encoding': 'gzip, deflate, br, zstd',
      });
      expect(browser.headers['content-encoding']).toBe('br');
      const noBrotli = await plainGet(path, { authorization, 'accept-encoding': 'br;q=0, gzip' });
      expect(noBrotli.headers['content-encoding']).toBe('gzip');
    }
  });

  it('lets a streamed response flush whether or not the client accepts an encoding', async () => {
    // What the audit log's verification does to keep a long response alive.
    const streaming = express();
    streaming.use(compressWhenAccepted());
    streaming.get('/stream', (_req, res) => {
      res.setHeader('Content-Type', 'application/json');
      res.write(' ');
      res.flush();
      res.end(JSON.stringify({ text: 'x'.repeat(2048) }));
    });
    const server = streaming.listen(0, '127.0.0.1');
    await new Promise((resolve) => server.once('listening', resolve));
    try {
      const baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
      const plain = await plainGet('/stream', {}, baseUrl);
      expect(plain.status).toBe(200);
      expect(plain.headers['content-encoding']).toBeUndefined();
      expect(plain.headers.vary).toMatch(/accept-encoding/i);
      expect(JSON.parse(plain.bytes.toString('utf8')).text).toHaveLength(2048);
      const gzip = await plainGet('/stream', { 'accept-encoding': 'gzip' }, baseUrl);
      expect(gzip.status).toBe(200);
      expect(gzip.headers['content-encoding']).toBe('gzip');
      expect(JSON.parse(gunzipSync(gzip.bytes).toString('utf8')).text).toHaveLength(2048);
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });
});
