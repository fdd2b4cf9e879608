import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createLogger, scrubber } from '@/lib/log';

/**
 * The app's logger never writes a secret: fields named like one are redacted wherever they sit,
 * and every line is scrubbed of the configured secrets and of credential-shaped text.
 */

const SECRETS = {
  NEXTAUTH_SECRET: 'nextauth-secret-4f9c2a7e1b',
  MONITOR_TOKEN: 'monitor-token-8d3b6e0c5a',
  SEED_ADMIN_PASSWORD: 'seed-admin-pw-71c4',
  DATABASE_URL: 'postgresql://app:db%2Fpass-93ka@db.internal:5432/syncwatch',
  SMTP_URL: 'smtps://mailer:smtp-pass-28zq@mail.example:465',
};
const DB_PASSWORD = 'db/pass-93ka';
const API_KEY = 'swk_Zm9vYmFyYmF6cXV4cXV1eGNvcmdlZ3JhdWx0';
const SESSION = 'eyJhbGciOiJkaXIiLCJlbmMiOiJBMjU2R0NNIn0..c2Vzc2lvbi1wYXlsb2Fk.dGFn';
const HASH = '$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNo';

function capture(source: Record<string, string | undefined> = SECRETS, level = 'info') {
  const lines: string[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _enc, done) {
      lines.push(...chunk.toString().split('\n').filter(Boolean));
      done();
    },
  });
  const logger = createLogger({ destination, source: { ...source, LOG_LEVEL: level } });
  return { logger, lines, text: () => lines.join('\n') };
}

const everySecret = [...Object.values(SECRETS).slice(0, 3), DB_PASSWORD, 'smtp-pass-28zq', API_KEY, SESSION, HASH, 'typed-password-1234'];

describe('the app logger', () => {
  it('writes one JSON object per line with level, time and message', () => {
    const { logger, lines } = capture();
    logger.info({ reqId: 'r-1', actor: 'admin@academy.test', status: 200, ms: 12 }, 'request');
    const line = JSON.parse(lines[0]!) as Record<string, unknown>;
    expect(line).toMatchObject({ level: 'info', msg: 'request', reqId: 'r-1', actor: 'admin@academy.test', status: 200, ms: 12 });
    expect(typeof line.time).toBe('string');
  });

  it('redacts fields named like a secret at any depth up to three levels', () => {
    const { logger, text } = capture();
    logger.info(
      {
        password: 'typed-password-1234',
        input: { newPassword: 'typed-password-1234', currentPassword: 'typed-password-1234' },
        req: { headers: { cookie: `next-auth.session-token=${SESSION}`, authorization: `Bearer ${API_KEY}` } },
        user: { email: 'a@b.test', passwordHash: HASH },
        apiKey: API_KEY,
        channel: { config: { secret: SECRETS.MONITOR_TOKEN, token: 'typed-password-1234' } },
      },
      'hostile fields',
    );
    const out = text();
    for (const s of everySecret) expect(out).not.toContain(s);
    expect(out).toContain('[redacted]');
    expect(out).toContain('a@b.test');
  });

  it('scrubs configured secrets and credential-shaped text from messages, errors and stacks', () => {
    const { logger, text } = capture();
    const err = new Error(`connect failed for ${SECRETS.DATABASE_URL} with ${DB_PASSWORD}`, {
      cause: new Error(`smtp: ${SECRETS.SMTP_URL} rejected; sent Authorization: Bearer ${SECRETS.MONITOR_TOKEN}`),
    });
    logger.error({ err }, `could not sign in with ${SECRETS.NEXTAUTH_SECRET}`);
    logger.warn(`cookie next-auth.session-token=${SESSION}; __Secure-next-auth.csrf-token=abc123def456 and key ${API_KEY}`);
    logger.info(`hash ${HASH} for ${SECRETS.SEED_ADMIN_PASSWORD}`);
    logger.info({ detail: `a "quoted" ${SECRETS.MONITOR_TOKEN} inside JSON` }, 'escaped');
    const out = text();
    for (const s of everySecret) expect(out).not.toContain(s);
    expect(out).not.toContain('abc123def456');
    expect(out).toContain('db.internal'); // the host stays, only the password goes
    expect(out).toContain('connect failed');
  });

  it('keeps short configured values (they would scrub ordinary words) to the patterns, and keeps ordinary text', () => {
    const scrub = scrubber({ NEXTAUTH_SECRET: 'short', DATABASE_URL: 'postgresql://syncwatch:syncwatch@db:5432/syncwatch' });
    expect(scrub('a short message')).toBe('a short message');
    expect(scrub('admin@syncwatch.local signed in')).toBe('admin@syncwatch.local signed in');
    expect(scrub('sync job #12 repaired 40 pairs')).toBe('sync job #12 repaired 40 pairs');
  });

  it('honours LOG_LEVEL and falls back to info for an unknown level', () => {
    const warnOnly = capture(SECRETS, 'warn');
    warnOnly.logger.info('hidden');
    warnOnly.logger.warn('shown');
    expect(warnOnly.lines.map((l) => (JSON.parse(l) as { msg: string }).msg)).toEqual(['shown']);
    const fallback = capture(SECRETS, 'loud');
    fallback.logger.debug('hidden');
    fallback.logger.info('shown');
    expect(fallback.lines).toHaveLength(1);
  });
});
