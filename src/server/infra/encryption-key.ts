import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';

/** AES-256-GCM: a 32-byte key, a 12-byte nonce per message, a 16-byte tag. */
const KEY_BYTES = 32;
const NONCE_BYTES = 12;
const TAG_BYTES = 16;
const FILE_NAME = 'encryption.key';
/** Sealed values start with a version, so a later key rotation can tell them apart. */
const VERSION = 'v1';

/** Decodes ENCRYPTION_KEY (base64 of 32 bytes); null when it is not such a value. */
export function decodeEncryptionKey(value: string): Buffer | null {
  const trimmed = value.trim();
  if (!/^[A-Za-z0-9+/_-]+={0,2}$/.test(trimmed)) return null;
  const key = Buffer.from(trimmed.replace(/-/g, '+').replace(/_/g, '/'), 'base64');
  return key.length === KEY_BYTES ? key : null;
}

export interface EncryptionKeySource {
  /** ENCRYPTION_KEY, already validated by the configuration. */
  ENCRYPTION_KEY?: string;
  NODE_ENV: string;
  dataDir: string;
}

/**
 * The key that encrypts stored secrets (OAuth tokens, share-link tokens): ENCRYPTION_KEY, else one
 * generated once and kept in DATA_DIR (mode 0600), so it survives restarts and is shared by the
 * processes of one data directory. Tests without ENCRYPTION_KEY get a fresh key per process.
 */
export function loadEncryptionKey(source: EncryptionKeySource): Buffer {
  if (source.ENCRYPTION_KEY) {
    const key = decodeEncryptionKey(source.ENCRYPTION_KEY);
    if (!key) throw new Error('ENCRYPTION_KEY must be 32 bytes, base64');
    return key;
  }
  if (source.NODE_ENV === 'test') return randomBytes(KEY_BYTES);
  return loadOrCreateKeyFile(source.dataDir);
}

function loadOrCreateKeyFile(dataDir: string): Buffer {
  fs.mkdirSync(dataDir, { recursive: true });
  const file = path.join(dataDir, FILE_NAME);
  try {
    const key = decodeEncryptionKey(fs.readFileSync(file, 'utf8'));
    if (!key) throw new Error(`${file} does not hold a 32-byte base64 key`);
    fs.chmodSync(file, 0o600);
    return key;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  const key = randomBytes(KEY_BYTES);
  // Exclusive create: of two processes starting at once, one writes and both read its key.
  try {
    fs.writeFileSync(file, `${key.toString('base64')}\n`, { mode: 0o600, flag: 'wx' });
    return key;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    return loadOrCreateKeyFile(dataDir);
  }
}

/**
 * Encrypts a short secret with AES-256-GCM: `v1.<nonce>.<ciphertext>.<tag>` (base64url). `context`
 * (e.g. a row id) is bound as associated data, so a sealed value copied to another row does not open.
 */
export function sealSecret(key: Buffer, plaintext: string, context = ''): string {
  const nonce = randomBytes(NONCE_BYTES);
  const cipher = createCipheriv('aes-256-gcm', key, nonce);
  cipher.setAAD(Buffer.from(context, 'utf8'));
  const body = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
  return [VERSION, nonce, body, cipher.getAuthTag()]
    .map((p) => (typeof p === 'string' ? p : p.toString('base64url')))
    .join('.');
}

/**
 * Opens what sealSecret made with the same key and context; null when it does not open. Google
 * tokens sealed before December 2026 by the former secret box put the tag before the ciphertext
 * (`v1.<nonce>.<tag>.<ciphertext>`); they are read too. Trying both layouts is safe: GCM's tag
 * authenticates the value, so a layout that is not the value's own never opens.
 */
export function openSecret(key: Buffer, sealed: string, context = ''): string | null {
  const [version, nonce, second, third, ...rest] = sealed.split('.');
  if (version !== VERSION || !nonce || second === undefined || third === undefined) return null;
  if (rest.length > 0) return null;
  return openGcm(key, nonce, second, third, context) ?? openGcm(key, nonce, third, second, context);
}

function openGcm(
  key: Buffer,
  nonce: string,
  body: string,
  tag: string,
  context: string,
): string | null {
  try {
    const tagBytes = Buffer.from(tag, 'base64url');
    if (tagBytes.length !== TAG_BYTES) return null;
    const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(nonce, 'base64url'));
    decipher.setAAD(Buffer.from(context, 'utf8'));
    decipher.setAuthTag(tagBytes);
    return Buffer.concat([
      decipher.update(Buffer.from(body, 'base64url')),
      decipher.final(),
    ]).toString('utf8');
  } catch {
    return null;
  }
}
