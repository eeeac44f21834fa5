import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';

/** The sandbox's API key and webhook signing secret: random, never in the source. */
export interface SandboxSecrets {
  secretKey: string;
  webhookSecret: string;
}

const FILE_NAME = 'stripe-sandbox-secrets.json';

/** Fresh random secrets (a sandbox whose state is not kept: tests). */
export function generateSandboxSecrets(): SandboxSecrets {
  return {
    secretKey: `sk_test_sandbox_${randomBytes(24).toString('base64url')}`,
    webhookSecret: `whsec_sandbox_${randomBytes(24).toString('base64url')}`,
  };
}

/**
 * The secrets of the sandbox kept in `dataDir` (generated on first use, mode 0600). They live
 * beside the sandbox's own state (`stripe-sandbox.json`): a sandbox and its secrets belong to one
 * data directory, so processes that share a sandbox share that directory, whatever the database.
 */
export function loadSandboxSecrets(dataDir: string): SandboxSecrets {
  fs.mkdirSync(dataDir, { recursive: true });
  const file = path.join(dataDir, FILE_NAME);
  try {
    const stored = JSON.parse(fs.readFileSync(file, 'utf8')) as Partial<SandboxSecrets>;
    if (typeof stored.secretKey === 'string' && typeof stored.webhookSecret === 'string') {
      fs.chmodSync(file, 0o600);
      return { secretKey: stored.secretKey, webhookSecret: stored.webhookSecret };
    }
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  const secrets = generateSandboxSecrets();
  // Exclusive create: of two processes starting at once, one writes and both read its secrets.
  try {
    fs.writeFileSync(file, JSON.stringify(secrets), { mode: 0o600, flag: 'wx' });
    return secrets;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    return loadSandboxSecrets(dataDir);
  }
}
