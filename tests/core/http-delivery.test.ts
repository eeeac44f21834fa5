import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../support/test-app.ts';

let app: TestApp;
beforeAll(async () => {
  app = await startTestApp();
});
afterAll(async () => {
  await app.close();
});

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
});
