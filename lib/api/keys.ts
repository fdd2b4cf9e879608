import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { z } from 'zod';
import type { Db } from '../db/prisma';
import { writeAuditEvent } from '../sync/audit';
import { pgError, TX_OPTIONS } from '../sync/db-errors';
import { SyncError } from '../sync/errors';
import type { Actor } from '../sync/types';
import { parseInput, plainObject } from '../sync/validation';
import { API_SCOPES, type ApiScope } from '../vocabulary';

/**
 * API keys of the academy's other systems (/api/v1). A token is `swk_` and 32 random bytes
 * (base64url): it is returned once, by createApiKey, and never stored or logged. The database
 * keeps its SHA-256 (hex) and its first 12 characters, to tell keys apart. Every request reads
 * the key's row, so a revocation holds at once on every instance.
 */

export const TOKEN_PREFIX = 'swk_';
const PREFIX_LENGTH = 12;
/** last_used_at is written at most this often per key, to spare a write per request. */
const TOUCH_INTERVAL_MS = 60_000;

export const apiKeyNameSchema = z
  .string({ error: 'must be text' })
  .trim()
  .min(1, 'must not be empty')
  .max(64, 'must be at most 64 characters')
  .regex(/^[A-Za-z0-9][A-Za-z0-9._-]*$/, 'must be letters, digits, dots, dashes or underscores, starting with a letter or digit');

export const apiScopeSchema = z.enum(API_SCOPES, { error: `must be one of ${API_SCOPES.join(', ')}` });

export const createApiKeySchema = plainObject(
  z.strictObject({
    name: apiKeyNameSchema,
    scopes: z
      .array(apiScopeSchema, { error: 'must be a list of scopes' })
      .min(1, 'must name at least one scope')
      .max(API_SCOPES.length * 4, 'has too many entries')
      .transform((s) => API_SCOPES.filter((scope) => s.includes(scope))),
  }),
);

export const revokeApiKeySchema = plainObject(z.strictObject({ name: apiKeyNameSchema }));

/** A key as lists show it: never the token, never its hash. */
export interface ApiKeyInfo {
  id: number;
  name: string;
  prefix: string;
  scopes: ApiScope[];
  createdBy: string;
  createdAt: Date;
  lastUsedAt: Date | null;
  revokedAt: Date | null;
}

const INFO = {
  id: true,
  name: true,
  prefix: true,
  scopes: true,
  createdBy: true,
  createdAt: true,
  lastUsedAt: true,
  revokedAt: true,
} as const;

const toInfo = (row: Omit<ApiKeyInfo, 'scopes'> & { scopes: string[] }): ApiKeyInfo => ({
  ...row,
  scopes: API_SCOPES.filter((s) => row.scopes.includes(s)),
});

export function hashToken(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}

/** Creates a key; the token is in the answer and nowhere else. CONFLICT when the name is taken. */
export async function createApiKey(
  db: Db,
  input: { name: string; scopes: readonly string[] },
  createdBy: Actor,
): Promise<{ key: ApiKeyInfo; token: string }> {
  const v = parseInput(createApiKeySchema, input);
  const token = TOKEN_PREFIX + randomBytes(32).toString('base64url');
  try {
    const key = await db.$transaction(async (tx) => {
      const row = await tx.apiKey.create({
        data: {
          name: v.name,
          tokenHash: hashToken(token),
          prefix: token.slice(0, PREFIX_LENGTH),
          scopes: v.scopes,
          createdBy: createdBy.label,
        },
        select: INFO,
      });
      await writeAuditEvent(tx, {
        actor: createdBy,
        action: 'API_KEY_CREATED',
        after: { name: row.name, prefix: row.prefix, scopes: row.scopes },
      });
      return row;
    }, TX_OPTIONS);
    return { key: toInfo(key), token };
  } catch (err) {
    if ((err as { code?: string }).code === 'P2002' || pgError(err).code === '23505') {
      throw new SyncError('CONFLICT', `An API key named ${v.name} already exists (a revoked key keeps its name).`);
    }
    throw err;
  }
}

/** Every key, newest first. */
export async function listApiKeys(db: Db): Promise<ApiKeyInfo[]> {
  const rows = await db.apiKey.findMany({ select: INFO, orderBy: [{ createdAt: 'desc' }, { id: 'desc' }] });
  return rows.map(toInfo);
}

/** Revokes a key at once. NOT_FOUND for an unknown name, CONFLICT when it is already revoked. */
export async function revokeApiKey(db: Db, name: string, actor: Actor): Promise<ApiKeyInfo> {
  const v = parseInput(revokeApiKeySchema, { name });
  const key = await db.$transaction(async (tx) => {
    const rows = await tx.$queryRaw<{ id: number; revoked_at: Date | null }[]>`
      SELECT id, revoked_at FROM api_keys WHERE name = ${v.name} FOR UPDATE`;
    const row = rows[0];
    if (!row) throw new SyncError('NOT_FOUND', `There is no API key named ${v.name}.`);
    if (row.revoked_at) throw new SyncError('CONFLICT', `The API key ${v.name} is already revoked.`);
    // The database's clock, as every instance reads it.
    await tx.$executeRaw`UPDATE api_keys SET revoked_at = now() WHERE id = ${row.id}`;
    const updated = await tx.apiKey.findUniqueOrThrow({ where: { id: row.id }, select: INFO });
    await writeAuditEvent(tx, {
      actor,
      action: 'API_KEY_REVOKED',
      before: { name: updated.name, prefix: updated.prefix, scopes: updated.scopes },
      after: { revokedAt: updated.revokedAt },
    });
    return updated;
  }, TX_OPTIONS);
  return toInfo(key);
}

/** A key that authenticated a request. */
export type AuthenticatedApiKey = Pick<ApiKeyInfo, 'id' | 'name' | 'prefix' | 'scopes'>;

/**
 * The key a bearer token belongs to, or null (unknown, revoked, or not a token at all). The
 * lookup is by the token's SHA-256: equality on a hash of 256 random bits tells nothing about
 * the token, and the digests are compared once more in constant time.
 */
export async function authenticateApiKey(db: Db, bearerToken: string | null | undefined): Promise<AuthenticatedApiKey | null> {
  if (!bearerToken || bearerToken.length > 200 || !bearerToken.startsWith(TOKEN_PREFIX)) return null;
  const presented = hashToken(bearerToken);
  const row = await db.apiKey.findUnique({
    where: { tokenHash: presented },
    select: { id: true, name: true, prefix: true, scopes: true, tokenHash: true, lastUsedAt: true, revokedAt: true },
  });
  if (!row) return null;
  if (!timingSafeEqual(Buffer.from(row.tokenHash, 'hex'), Buffer.from(presented, 'hex'))) return null;
  if (row.revokedAt) return null;
  if (!row.lastUsedAt || Date.now() - row.lastUsedAt.getTime() >= TOUCH_INTERVAL_MS) {
    // The condition is repeated in SQL so that concurrent requests write it once.
    await db.$executeRaw`UPDATE api_keys SET last_used_at = now()
      WHERE id = ${row.id} AND (last_used_at IS NULL OR last_used_at <= now() - interval '1 minute')`;
  }
  return { id: row.id, name: row.name, prefix: row.prefix, scopes: API_SCOPES.filter((s) => row.scopes.includes(s)) };
}

/** A key as the settings page shows it (dates as ISO text). */
export type ApiKeyDto = Omit<ApiKeyInfo, 'createdAt' | 'lastUsedAt' | 'revokedAt'> & {
  createdAt: string;
  lastUsedAt: string | null;
  revokedAt: string | null;
};

export function toApiKeyDto(k: ApiKeyInfo): ApiKeyDto {
  return {
    ...k,
    createdAt: k.createdAt.toISOString(),
    lastUsedAt: k.lastUsedAt?.toISOString() ?? null,
    revokedAt: k.revokedAt?.toISOString() ?? null,
  };
}
