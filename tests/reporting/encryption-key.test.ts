import { createCipheriv, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/server/config.ts';
import {
  loadEncryptionKey,
  openSecret,
  sealSecret,
} from '../../src/server/infra/encryption-key.ts';

describe('encryption key', () => {
  it('is generated once into DATA_DIR with mode 0600 and read back after', () => {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'roi-key-'));
    const first = loadEncryptionKey({ NODE_ENV: 'development', dataDir });
    const file = path.join(dataDir, 'encryption.key');
    expect(fs.statSync(file).mode & 0o777).toBe(0o600);
    expect(loadEncryptionKey({ NODE_ENV: 'development', dataDir }).equals(first)).toBe(true);
    expect(first.length).toBe(32);
  });

  it('ENCRYPTION_KEY wins; a bad value stops the configuration naming it', () => {
    const key = Buffer.alloc(32, 7).toString('base64');
    const loaded = loadEncryptionKey({
      ENCRYPTION_KEY: key,
      NODE_ENV: 'development',
      dataDir: '/nonexistent',
    });
    expect(loaded.equals(Buffer.alloc(32, 7))).toBe(true);
    expect(() => loadConfig({ ENCRYPTION_KEY: 'too-short' } as NodeJS.ProcessEnv)).toThrow(
      /ENCRYPTION_KEY/,
    );
    expect(() =>
      loadConfig({
        NODE_ENV: 'production',
        SANDBOXES: 'on',
        DATABASE_URL: 'postgres://x@127.0.0.1/db',
      } as NodeJS.ProcessEnv),
    ).toThrow(ConfigError);
  });

  it('seals with AES-256-GCM bound to its context; tampering or another key or context fails', () => {
    const key = Buffer.alloc(32, 1);
    const sealed = sealSecret(key, 'the token', 'row-1');
    expect(sealed).not.toContain('the token');
    expect(sealSecret(key, 'the token', 'row-1')).not.toBe(sealed); // a fresh nonce each time
    expect(openSecret(key, sealed, 'row-1')).toBe('the token');
    expect(openSecret(key, sealed, 'row-2')).toBeNull();
    expect(openSecret(Buffer.alloc(32, 2), sealed, 'row-1')).toBeNull();
    const parts = sealed.split('.');
    parts[2] = Buffer.from('xxxxxxxxx').toString('base64url');
    expect(openSecret(key, parts.join('.'), 'row-1')).toBeNull();
  });

  it('opens Google tokens sealed in the former layout (tag before ciphertext), bound alike', () => {
    // What src/server/lib/secret-box.ts wrote until December 2026: v1.<iv>.<tag>.<ciphertext>.
    const key = randomBytes(32);
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', key, iv);
    cipher.setAAD(Buffer.from('google-refresh-token:t:c', 'utf8'));
    const body = Buffer.concat([cipher.update('1//refresh-token', 'utf8'), cipher.final()]);
    const legacy = `v1.${[iv, cipher.getAuthTag(), body].map((b) => b.toString('base64url')).join('.')}`;
    expect(openSecret(key, legacy, 'google-refresh-token:t:c')).toBe('1//refresh-token');
    expect(openSecret(key, legacy, 'google-refresh-token:t:other')).toBeNull();
    expect(openSecret(randomBytes(32), legacy, 'google-refresh-token:t:c')).toBeNull();
    const parts = legacy.split('.');
    parts[3] = Buffer.from('tampered').toString('base64url');
    expect(openSecret(key, parts.join('.'), 'google-refresh-token:t:c')).toBeNull();
    // A 16-byte secret makes both middle parts tag-sized: still only its own layout opens.
    const short = sealSecret(key, '0123456789abcdef', 'row');
    expect(openSecret(key, short, 'row')).toBe('0123456789abcdef');
  });

  it('configuration: the Google client pair goes together; GOOGLE_API_BASE is a web URL', () => {
    expect(loadConfig({ ENCRYPTION_KEY: randomBytes(32).toString('base64') }).googleMode).toBe(
      'sandbox',
    );
    expect(() => loadConfig({ GOOGLE_CLIENT_ID: 'x' })).toThrow(ConfigError);
    expect(loadConfig({ GOOGLE_CLIENT_ID: 'x', GOOGLE_CLIENT_SECRET: 'y' }).googleMode).toBe(
      'google',
    );
    expect(loadConfig({ SANDBOXES: 'off' }).googleMode).toBe('off');
    expect(() => loadConfig({ GOOGLE_API_BASE: 'ftp://x' })).toThrow(/GOOGLE_API_BASE/);
  });
});
