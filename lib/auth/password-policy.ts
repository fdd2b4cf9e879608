import { z } from 'zod';
import { SyncError } from '../sync/errors';

/**
 * The staff password policy (issue 16): 12 to 1,024 characters, not a demo password, not one of
 * the common passwords shipped in common-passwords.ts, and not the account's email, the email's
 * local part or the name. Comparisons ignore case and surrounding spaces. argon2id (password.ts)
 * hashes what passes.
 */

export const MIN_PASSWORD_LENGTH = 12;
export const MAX_PASSWORD_LENGTH = 1024;

/** The SEED_*_PASSWORD defaults of lib/env.ts: published in the README, so never a real password. */
export const DEMO_PASSWORDS = ['admin-demo-password', 'viewer-demo-password'] as const;

let common: Set<string> | undefined;
/** The list is loaded (and the module imported) on first use only. */
async function commonPasswords(): Promise<Set<string>> {
  if (!common) {
    const { COMMON_PASSWORDS } = await import('./common-passwords');
    common = new Set(COMMON_PASSWORDS);
  }
  return common;
}

/** The password's text, as a schema (length only; checkPassword does the rest). */
export const passwordSchema = z
  .string({ error: 'must be text' })
  .min(MIN_PASSWORD_LENGTH, `must be at least ${MIN_PASSWORD_LENGTH} characters`)
  .max(MAX_PASSWORD_LENGTH, `must be at most ${MAX_PASSWORD_LENGTH.toLocaleString('en-US')} characters`);

const refuse = (message: string) => new SyncError('VALIDATION', message, { issues: [{ path: 'password', message }] });

/**
 * Throws SyncError('VALIDATION') with one readable sentence when `password` breaks the policy.
 * Length is counted in characters (code points), as a person counts them.
 */
export async function checkPassword(password: string, account: { email?: string | null; name?: string | null } = {}): Promise<void> {
  if (typeof password !== 'string') throw refuse('The password must be text.');
  const length = [...password].length;
  if (length < MIN_PASSWORD_LENGTH) throw refuse(`The password must be at least ${MIN_PASSWORD_LENGTH} characters long.`);
  if (length > MAX_PASSWORD_LENGTH) {
    throw refuse(`The password must be at most ${MAX_PASSWORD_LENGTH.toLocaleString('en-US')} characters long.`);
  }
  const folded = password.trim().toLowerCase();
  if ((DEMO_PASSWORDS as readonly string[]).includes(folded)) {
    throw refuse('The password is one of the published demo passwords; choose another.');
  }
  if ((await commonPasswords()).has(folded)) throw refuse('The password is on a list of common passwords; choose a less guessable one.');
  const email = account.email?.trim().toLowerCase();
  const local = email?.split('@')[0];
  if (email && (folded === email || folded === local)) throw refuse('The password must not be the email address or its part before the @.');
  const name = account.name?.trim().toLowerCase();
  if (name && folded === name) throw refuse('The password must not be the name of the account.');
}
