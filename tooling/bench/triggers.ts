import type pg from 'pg';
import type { Db } from '../../lib/db/prisma';
import { runFullAudit } from '../../lib/sync';
import { log } from './log';
import { fmtMs, timed } from './stats';

/**
 * The note triggers of the pair tables (migration 20261201104140_detection_at_commit): what the
 * write-overhead figures switch off to measure the cost of detection at commit. The touch
 * triggers (version, updated_at) and the check triggers (license start) stay on in both variants.
 */
export const NOTE_TRIGGERS = {
  specialization_progress: [
    'specialization_progress_note_insert',
    'specialization_progress_note_delete',
    'specialization_progress_note_update',
  ],
  user_licenses: ['user_licenses_note_insert', 'user_licenses_note_delete', 'user_licenses_note_update'],
} as const;

/** Enables or disables the note triggers (ALTER TABLE takes each table's lock for a moment). */
export async function setNoteTriggers(c: pg.Client, enabled: boolean): Promise<void> {
  const verb = enabled ? 'ENABLE' : 'DISABLE';
  await c.query('BEGIN');
  try {
    for (const [table, triggers] of Object.entries(NOTE_TRIGGERS)) {
      for (const t of triggers) await c.query(`ALTER TABLE ${c.escapeIdentifier(table)} ${verb} TRIGGER ${c.escapeIdentifier(t)}`);
    }
    await c.query('COMMIT');
  } catch (err) {
    await c.query('ROLLBACK').catch(() => {});
    throw err;
  }
}

/** Whether every note trigger is enabled (pg_trigger.tgenabled = 'O'). */
export async function noteTriggersEnabled(c: pg.Client): Promise<boolean> {
  const names = Object.values(NOTE_TRIGGERS).flat();
  const { rows } = await c.query<{ n: number }>(
    `SELECT count(*)::int AS n FROM pg_trigger WHERE tgname = ANY ($1::text[]) AND tgenabled = 'O'`,
    [names],
  );
  return rows[0]!.n === names.length;
}

/**
 * Runs `fn` with the note triggers off or on as asked, and always leaves them on. A section that
 * switched them off calls `restoreDetection` once at its end.
 */
export async function withNoteTriggers<T>(c: pg.Client, enabled: boolean, fn: () => Promise<T>): Promise<T> {
  if (!enabled) await setNoteTriggers(c, false);
  try {
    return await fn();
  } finally {
    if (!enabled) await setNoteTriggers(c, true);
  }
}

/**
 * After writes with the triggers off: a full audit brings the set back to the tables (its drift
 * says how much the triggers missed; 0 when the section put back every row it changed).
 */
export async function restoreDetection(db: Db, c: pg.Client, what: string): Promise<number> {
  if (!(await noteTriggersEnabled(c))) await setNoteTriggers(c, true);
  const { ms, value } = await timed(() => runFullAudit(db, { source: 'CLI' }));
  log(`  full audit after ${what}: drift ${value.drift} (${fmtMs(ms)})`);
  return value.drift ?? 0;
}
