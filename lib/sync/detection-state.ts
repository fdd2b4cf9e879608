import type { Db } from '../db/prisma';
import { FOREIGN_WRITE_MODES, type ForeignWrites } from '../vocabulary';
import { parseInput } from './validation';
import { z } from 'zod';

/** The deployment's detection state (sw_state) and the clock's part of detection. */

const modeSchema = z.enum(FOREIGN_WRITE_MODES);

/** What the triggers do with a foreign write that leaves a pair out of sync (FOREIGN_WRITES). */
export async function getForeignWrites(db: Db): Promise<ForeignWrites> {
  const [r] = await db.$queryRaw<{ mode: ForeignWrites }[]>`SELECT foreign_writes AS mode FROM sw_state WHERE id = 1`;
  return r?.mode ?? 'OBSERVE';
}

/** Sets the mode for every instance sharing the database (the app does so at start from FOREIGN_WRITES). */
export async function setForeignWrites(db: Db, mode: ForeignWrites): Promise<void> {
  const m = parseInput(modeSchema, mode);
  await db.$executeRaw`UPDATE sw_state SET foreign_writes = ${m}::"ForeignWrites" WHERE id = 1`;
}

/** Why a full audit is wanted now (a TRUNCATE of a pair table, the migration), or null. */
export async function requestedAudit(db: Db): Promise<{ at: Date; reason: string } | null> {
  const [r] = await db.$queryRaw<{ at: Date | null; reason: string | null }[]>`
    SELECT audit_requested_at AS at, audit_request_reason AS reason FROM sw_state WHERE id = 1`;
  return r?.at ? { at: r.at, reason: r.reason ?? 'requested' } : null;
}

/**
 * A license that started in the future is a desync only until that moment comes; no write marks
 * the moment, so the clock re-judges those entries (written by 'clock'). Returns the entries changed.
 */
export async function expireFutureLicenses(db: Db): Promise<number> {
  const [r] = await db.$queryRaw<{ changed: number | null }[]>`
    SELECT (sw_judge_pairs(array_agg(d.user_id), array_agg(d.specialization_id), NULL, 'clock', 'AUDIT')).changed
    FROM current_desyncs d
    LEFT JOIN user_licenses l ON l.user_id = d.user_id AND l.specialization_id = d.specialization_id
    WHERE d.kind = 'LICENSE_IN_FUTURE' AND NOT coalesce(sw_license_in_future(l.started_at), false)`;
  return r?.changed ?? 0;
}
