import argon2 from 'argon2';
import { assertOutsideTransaction } from '../../data/scoped-transaction.ts';

/** OWASP's argon2id minimum: 19 MiB, two passes, one lane. */
const OPTIONS = {
  type: argon2.argon2id,
  memoryCost: 19 * 1024,
  timeCost: 2,
  parallelism: 1,
} as const;

/** Hashes a password with argon2id: CPU-heavy, so never inside a database transaction. */
export function hashPassword(password: string): Promise<string> {
  assertOutsideTransaction('password hashing');
  return argon2.hash(password, OPTIONS);
}

/**
 * The hash an unknown email is verified against: made with OPTIONS (keep them in step), so its
 * verification costs what a real account's does, from the very first attempt.
 */
export const DUMMY_HASH =
  '$argon2id$v=19$m=19456,p=1,t=2$nxyGSKnuQBFz/+LrbcHdMA$gwuV4UM8Ck2UmuI42UvsSoKPuF7iUN4sjj/BPZ0xGpM';

/**
 * Checks a password against a stored hash. With no hash (unknown email) it still spends the same
 * work on a dummy, so response time does not tell which emails exist.
 */
export async function verifyPassword(hash: string | null, password: string): Promise<boolean> {
  assertOutsideTransaction('password hashing');
  if (hash === null) {
    await argon2.verify(DUMMY_HASH, password).catch(() => false);
    return false;
  }
  return argon2.verify(hash, password).catch(() => false);
}
