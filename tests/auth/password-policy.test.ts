import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { COMMON_PASSWORDS } from '@/lib/auth/common-passwords';
import { checkPassword, DEMO_PASSWORDS } from '@/lib/auth/password-policy';
import { generatePassword } from '@/lib/auth/staff';
import { isSyncError } from '@/lib/sync/errors';

async function refusal(password: string, account: { email?: string; name?: string } = {}): Promise<string> {
  try {
    await checkPassword(password, account);
  } catch (err) {
    if (isSyncError(err, 'VALIDATION')) return err.message;
    throw err;
  }
  throw new Error(`expected ${JSON.stringify(password)} to be refused`);
}

describe('checkPassword', () => {
  it('refuses fewer than 12 characters, counting characters rather than UTF-16 units', async () => {
    expect(await refusal('short')).toBe('The password must be at least 12 characters long.');
    expect(await refusal('k7#Qv9!mZ2p')).toMatch(/at least 12/);
    expect(await refusal('🔒'.repeat(11))).toMatch(/at least 12/); // 22 UTF-16 units
    await expect(checkPassword('🔒'.repeat(12))).resolves.toBeUndefined();
  });

  it('refuses more than 1,024 characters', async () => {
    expect(await refusal('x7Q!'.repeat(257))).toBe('The password must be at most 1,024 characters long.');
    await expect(checkPassword('x7Q!'.repeat(256))).resolves.toBeUndefined();
  });

  it('refuses the demo passwords, in any case and with surrounding spaces', async () => {
    for (const p of DEMO_PASSWORDS) expect(await refusal(p)).toMatch(/demo password/);
    expect(await refusal(' ADMIN-Demo-Password ')).toMatch(/demo password/);
  });

  it('refuses common passwords, in any case', async () => {
    for (const p of ['1qaz2wsx3edc', 'Qwerty123456', 'ADMINISTRATOR', 'LeaveMeAlone']) {
      expect(await refusal(p)).toBe('The password is on a list of common passwords; choose a less guessable one.');
    }
  });

  it('refuses the email, its local part and the name', async () => {
    const account = { email: 'Margaret.Hamilton@Example.org', name: 'Margaret Hamilton' };
    expect(await refusal('margaret.hamilton@example.org', account)).toMatch(/email address/);
    expect(await refusal('MARGARET.HAMILTON', account)).toMatch(/email address/);
    expect(await refusal('margaret hamilton', account)).toMatch(/name of the account/);
    await expect(checkPassword('margaret.hamilton.1969', account)).resolves.toBeUndefined();
  });

  it('accepts a long enough password of its own, and generated passwords', async () => {
    await expect(checkPassword('correct horse battery staple', { email: 'a@b.c', name: 'A' })).resolves.toBeUndefined();
    const generated = new Set(Array.from({ length: 50 }, generatePassword));
    expect(generated.size).toBe(50);
    for (const p of generated) {
      expect(p).toMatch(/^[A-Za-z0-9_-]{24}$/);
      await expect(checkPassword(p)).resolves.toBeUndefined();
    }
  });
});

describe('the common password list', () => {
  it('is the shipped text file, lower-cased, one a line, without duplicates', () => {
    const text = fs.readFileSync(path.resolve(import.meta.dirname, '../../lib/auth/common-passwords.txt'), 'utf8');
    const lines = text.split('\n').filter(Boolean);
    expect(COMMON_PASSWORDS).toEqual(lines); // common-passwords.ts is generated from it
    expect(lines.length).toBeGreaterThanOrEqual(10_000);
    expect(new Set(lines).size).toBe(lines.length);
    expect(lines.every((l) => l === l.toLowerCase() && l === l.trim())).toBe(true);
    expect(lines.slice(0, 3)).toEqual(['123456', 'password', '12345678']);
  });
});
