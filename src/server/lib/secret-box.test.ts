import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../config.ts';
import { createSecretBox } from './secret-box.ts';

describe('secret box (AES-256-GCM)', () => {
  it('opens what it sealed, only for the same row, and refuses a tampered value', () => {
    const box = createSecretBox(randomBytes(32));
    const sealed = box.seal('1//refresh-token', 'row-a');
    expect(sealed).toMatch(/^v1\./);
    expect(sealed).not.toContain('refresh');
    expect(box.open(sealed, 'row-a')).toBe('1//refresh-token');
    expect(box.seal('x', 'row-a')).not.toBe(box.seal('x', 'row-a'));
    expect(() => box.open(sealed, 'row-b')).toThrow();
    const parts = sealed.split('.');
    parts[3] = Buffer.from('tampered').toString('base64url');
    expect(() => box.open(parts.join('.'), 'row-a')).toThrow();
    expect(() => createSecretBox(randomBytes(32)).open(sealed, 'row-a')).toThrow();
  });

  it('configuration: ENCRYPTION_KEY must be 32 bytes, the Google client pair goes together', () => {
    expect(() => loadConfig({ ENCRYPTION_KEY: 'c2hvcnQ=' })).toThrow(/ENCRYPTION_KEY/);
    expect(loadConfig({ ENCRYPTION_KEY: randomBytes(32).toString('base64') }).googleMode).toBe(
      'sandbox',
    );
    expect(() => loadConfig({ GOOGLE_CLIENT_ID: 'x' })).toThrow(ConfigError);
    expect(loadConfig({ GOOGLE_CLIENT_ID: 'x', GOOGLE_CLIENT_SECRET: 'y' }).googleMode).toBe(
      'google',
    );
    expect(loadConfig({ SANDBOXES: 'off' }).googleMode).toBe('off');
    expect(() => loadConfig({ GOOGLE_API_BASE: 'ftp://x' })).toThrow(/GOOGLE_API_BASE/);
    expect(() =>
      loadConfig({
        NODE_ENV: 'production',
        SANDBOXES: 'on',
        DATABASE_URL: 'postgres://db/x',
      }),
    ).toThrow(/ENCRYPTION_KEY/);
  });
});
