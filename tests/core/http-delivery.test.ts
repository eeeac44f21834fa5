import http from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
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
function plainGet(path: string, headers: Record<string, string> = {}) {
  return new Promise<{ status: number; headers: http.IncomingHttpHeaders; body: string }>(
    (resolve, reject) => {
      http
        .get(`${app.baseUrl}${path}`, { headers }, (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (chunk: Buffer) => chunks.push(chunk));
          res.on('end', () =>
            resolve({
              status: res.statusCode ?? 0,
              headers: res.headers,
              body: Buffer.concat(chunks).toString('utf8'),
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
    expect(JSON.parse(res.body).openapi).toBe('3.1.0');
  });

  it('says a report varies by Accept and Accept-Encoding, cached or not, compressed or not', async () => {
    const tenant = await buildTenant(app);
    const authorization = `Bearer ${await createApiKey(tenant, 'member')}`;
    for (let pass = 0; pass < 2; pass++) {
      const plain = await plainGet('/api/v1/reports/roi?compare=previous', { authorization });
      expect(plain.status).toBe(200);
      expect(plain.headers['content-encoding']).toBeUndefined();
      expect(plain.headers.vary).toMatch(/^accept, accept-encoding$/i);
      expect(JSON.parse(plain.body).currency).toBeTruthy();
      const gzip = await plainGet('/api/v1/reports/roi?compare=previous', {
        authorization,
        'accept-encoding': 'gzip',
      });
      expect(gzip.headers['content-encoding']).toBe('gzip');
      expect(gzip.headers.vary).toMatch(/^accept, accept-encoding$/i);
    }
  });
});
