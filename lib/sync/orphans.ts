import { closeSync, fsyncSync, openSync, readFileSync, writeSync } from 'node:fs';
import { z } from 'zod';
import type { Db, DbTx } from '../db/prisma';
import { writeAuditEvent } from './audit';
import { SyncError } from './errors';
import type { Actor } from './types';

/**
 * Orphan recovery: progress and license rows whose learner or specialization is gone, possible
 * only where the foreign keys were bypassed (session_replication_role = replica, a restore of an
 * old backup). Reporting is the default; deletion first writes a backup of every column of every
 * row it will delete, then deletes in the same transaction; a backup can be restored.
 */

const iso = z.iso.datetime({ offset: true });
const progressRow = z.strictObject({
  user_id: z.number().int(),
  specialization_id: z.string(),
  current_level: z.number().int(),
  total_xp: z.number().int(),
  completed_sessions: z.number().int(),
  version: z.number().int(),
  created_at: iso,
  updated_at: iso,
});
const licenseRow = z.strictObject({
  user_id: z.number().int(),
  specialization_id: z.string(),
  current_level: z.number().int(),
  started_at: iso,
  last_advanced_at: iso.nullable(),
  version: z.number().int(),
  created_at: iso,
  updated_at: iso,
});
const backupSchema = z.strictObject({
  kind: z.literal('syncwatch-orphans-backup'),
  version: z.literal(1),
  createdAt: iso,
  progress: z.array(progressRow),
  licenses: z.array(licenseRow),
});

export type OrphanBackup = z.infer<typeof backupSchema>;
export type OrphanProgressRow = z.infer<typeof progressRow> & { reason: string };
export type OrphanLicenseRow = z.infer<typeof licenseRow> & { reason: string };

const ORPHAN_WHERE = (t: string) => `
  NOT EXISTS (SELECT 1 FROM users u WHERE u.id = ${t}.user_id)
  OR NOT EXISTS (SELECT 1 FROM specializations s WHERE s.id = ${t}.specialization_id)`;
const REASON = (t: string) => `CASE WHEN NOT EXISTS (SELECT 1 FROM users u WHERE u.id = ${t}.user_id)
  THEN 'learner ' || ${t}.user_id || ' does not exist' ELSE 'specialization ' || ${t}.specialization_id || ' does not exist' END`;
// Timestamps as ISO strings with their full stored precision, so a restore is identical.
const TS = (col: string) => `to_char(${col} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')`;

async function selectOrphans(db: DbTx, lock: boolean) {
  const forUpdate = lock ? 'FOR UPDATE' : '';
  const progress = await db.$queryRawUnsafe<OrphanProgressRow[]>(
    `SELECT p.user_id, p.specialization_id, p.current_level, p.total_xp, p.completed_sessions, p.version,
            ${TS('p.created_at')} AS created_at, ${TS('p.updated_at')} AS updated_at, ${REASON('p')} AS reason
     FROM specialization_progress p WHERE ${ORPHAN_WHERE('p')} ORDER BY p.user_id, p.specialization_id ${forUpdate}`,
  );
  const licenses = await db.$queryRawUnsafe<OrphanLicenseRow[]>(
    `SELECT l.user_id, l.specialization_id, l.current_level, ${TS('l.started_at')} AS started_at,
            CASE WHEN l.last_advanced_at IS NULL THEN NULL ELSE ${TS('l.last_advanced_at')} END AS last_advanced_at,
            l.version, ${TS('l.created_at')} AS created_at, ${TS('l.updated_at')} AS updated_at, ${REASON('l')} AS reason
     FROM user_licenses l WHERE ${ORPHAN_WHERE('l')} ORDER BY l.user_id, l.specialization_id ${forUpdate}`,
  );
  return { progress, licenses };
}

/** The dry run: every orphan row and why it is one. Writes nothing. */
export async function findOrphans(db: Db) {
  return selectOrphans(db, false);
}

const strip = <T extends { reason: string }>(rows: T[]) => rows.map(({ reason: _r, ...row }) => row);

function writeBackupFile(path: string, backup: OrphanBackup) {
  // 'wx': never overwrite an earlier backup; fsync before anything is deleted.
  const fd = openSync(path, 'wx');
  try {
    writeSync(fd, `${JSON.stringify(backup, null, 2)}\n`);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/**
 * Backs up, then deletes every orphan row, in one transaction: if the backup cannot be written,
 * nothing is deleted; if the delete fails, the backup file stays and nothing changed.
 */
export async function deleteOrphans(db: Db, opts: { backupPath: string; actor: Actor; reason?: string | null }) {
  return db.$transaction(
    async (tx) => {
      const found = await selectOrphans(tx, true);
      const backup: OrphanBackup = {
        kind: 'syncwatch-orphans-backup',
        version: 1,
        createdAt: new Date().toISOString(),
        progress: strip(found.progress),
        licenses: strip(found.licenses),
      };
      if (backup.progress.length + backup.licenses.length === 0) return { deleted: { progress: 0, licenses: 0 }, backupPath: null };
      writeBackupFile(opts.backupPath, backup);
      const keys = (rows: { user_id: number; specialization_id: string }[]) => [
        rows.map((r) => r.user_id),
        rows.map((r) => r.specialization_id),
      ];
      const [pu, ps] = keys(backup.progress);
      const [lu, ls] = keys(backup.licenses);
      const progress = await tx.$executeRaw`
        DELETE FROM specialization_progress p USING unnest(${pu}::int[], ${ps}::text[]) AS t(u, s)
        WHERE p.user_id = t.u AND p.specialization_id = t.s`;
      const licenses = await tx.$executeRaw`
        DELETE FROM user_licenses l USING unnest(${lu}::int[], ${ls}::text[]) AS t(u, s)
        WHERE l.user_id = t.u AND l.specialization_id = t.s`;
      await writeAuditEvent(tx, {
        actor: opts.actor,
        action: 'ORPHANS_DELETED',
        before: { progress: backup.progress.length, licenses: backup.licenses.length },
        after: { backupPath: opts.backupPath },
        reason: opts.reason,
      });
      return { deleted: { progress, licenses }, backupPath: opts.backupPath };
    },
    { timeout: 300_000 },
  );
}

export function readBackup(path: string): OrphanBackup {
  let data: unknown;
  try {
    data = JSON.parse(readFileSync(path, 'utf8'));
  } catch (err) {
    throw new SyncError('VALIDATION', `Cannot read backup ${path}: ${(err as Error).message}`);
  }
  const parsed = backupSchema.safeParse(data);
  if (!parsed.success) throw new SyncError('VALIDATION', `${path} is not a SyncWatch orphans backup: ${parsed.error.issues[0]?.message}`);
  return parsed.data;
}

/**
 * Puts the rows of a backup back exactly (every column). They break the foreign keys by nature,
 * so this needs a role allowed to set session_replication_role (a superuser): the same bypass
 * that produced them.
 */
export async function restoreOrphans(db: Db, opts: { backupPath: string; actor: Actor }) {
  const backup = readBackup(opts.backupPath);
  return db.$transaction(async (tx) => {
    try {
      await tx.$executeRawUnsafe(`SET LOCAL session_replication_role = replica`);
    } catch {
      throw new SyncError('FORBIDDEN', 'Restoring orphans needs a PostgreSQL superuser: the rows break the foreign keys by nature.');
    }
    const p = JSON.stringify(backup.progress);
    const l = JSON.stringify(backup.licenses);
    const progress = await tx.$executeRaw`
      INSERT INTO specialization_progress
        (user_id, specialization_id, current_level, total_xp, completed_sessions, version, created_at, updated_at)
      SELECT user_id, specialization_id, current_level, total_xp, completed_sessions, version, created_at, updated_at
      FROM jsonb_to_recordset(${p}::jsonb) AS t(user_id int, specialization_id text, current_level int, total_xp int,
                                                  completed_sessions int, version int, created_at timestamptz, updated_at timestamptz)
      ON CONFLICT DO NOTHING`;
    const licenses = await tx.$executeRaw`
      INSERT INTO user_licenses (user_id, specialization_id, current_level, started_at, last_advanced_at, version, created_at, updated_at)
      SELECT user_id, specialization_id, current_level, started_at, last_advanced_at, version, created_at, updated_at
      FROM jsonb_to_recordset(${l}::jsonb) AS t(user_id int, specialization_id text, current_level int, started_at timestamptz,
                                                  last_advanced_at timestamptz, version int, created_at timestamptz, updated_at timestamptz)
      ON CONFLICT DO NOTHING`;
    await writeAuditEvent(tx, {
      actor: opts.actor,
      action: 'ORPHANS_RESTORED',
      after: { progress, licenses, backupPath: opts.backupPath },
    });
    return {
      restored: { progress, licenses },
      skipped: { progress: backup.progress.length - progress, licenses: backup.licenses.length - licenses },
    };
  });
}
