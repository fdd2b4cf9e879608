import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deleteOrphans, findOrphans, restoreOrphans, runFullAudit } from '../../lib/sync';
import { db, rawClient } from '../support/db';
import { createPair, testActor } from '../support/factories';

/** The whole orphan cycle on a scratch database whose constraints were bypassed. */
let c: pg.Client;
const dir = mkdtempSync(path.join(os.tmpdir(), 'syncwatch-orphans-'));
const dump = async () => ({
  progress: (await c.query(`SELECT * FROM specialization_progress ORDER BY user_id, specialization_id`)).rows,
  licenses: (await c.query(`SELECT * FROM user_licenses ORDER BY user_id, specialization_id`)).rows,
});

beforeAll(async () => {
  c = await rawClient();
  await createPair(c, { progressLevel: 2 });
  await createPair(c, { progressLevel: 3, licenseLevel: 1 });
  // A learner deleted behind the foreign keys' back leaves both rows orphaned...
  const gone = await createPair(c, { spec: 'COACH', progressLevel: 4 });
  await c.query(`SET session_replication_role = replica`);
  await c.query(`DELETE FROM users WHERE id = $1`, [gone.userId]);
  // ...and rows written for learners that never existed.
  await c.query(
    `INSERT INTO user_licenses (user_id, specialization_id, current_level, started_at, last_advanced_at)
     VALUES (990001, 'PLAYER', 2, '2025-01-02T03:04:05.678Z', '2025-06-01T00:00:00.001Z')`,
  );
  await c.query(
    `INSERT INTO specialization_progress (user_id, specialization_id, current_level, total_xp, completed_sessions)
     VALUES (990002, 'INTERNSHIP', 1, 42, 1)`,
  );
  await c.query(`SET session_replication_role = origin`);
});
afterAll(async () => {
  await c.end();
});

describe('orphan recovery', () => {
  it('reports orphan rows with the reason, writing nothing', async () => {
    const before = await dump();
    const found = await findOrphans(db);
    expect(found.progress.map((r) => r.user_id).sort()).toHaveLength(2);
    expect(found.licenses).toHaveLength(2);
    expect(found.licenses.find((r) => r.user_id === 990001)).toMatchObject({
      reason: 'learner 990001 does not exist',
      last_advanced_at: '2025-06-01T00:00:00.001000Z',
    });
    expect(await dump()).toEqual(before);
    const check = await runFullAudit(db);
    expect(check.orphans).toBe(3); // pairs: the deleted learner's, 990001's, 990002's
  });

  it('deletes with a backup first, then restores identical rows', async () => {
    const before = await dump();
    const backupPath = path.join(dir, 'orphans.json');
    const result = await deleteOrphans(db, { backupPath, actor: testActor, reason: 'cleanup after restore' });
    expect(result.deleted).toEqual({ progress: 2, licenses: 2 });
    const backup = JSON.parse(readFileSync(backupPath, 'utf8'));
    expect(backup.progress).toHaveLength(2);
    expect(Object.keys(backup.licenses[0]).sort()).toEqual(
      ['created_at', 'last_advanced_at', 'current_level', 'specialization_id', 'started_at', 'updated_at', 'user_id', 'version'].sort(),
    );
    expect((await findOrphans(db)).progress).toHaveLength(0);
    const audit = await c.query(`SELECT count(*)::int AS n FROM audit_events WHERE action = 'ORPHANS_DELETED'`);
    expect(audit.rows[0].n).toBe(1);

    const restored = await restoreOrphans(db, { backupPath, actor: testActor });
    expect(restored.restored).toEqual({ progress: 2, licenses: 2 });
    expect(await dump()).toEqual(before);
  });

  it('deletes nothing when the backup cannot be written', async () => {
    const before = await dump();
    const existing = path.join(dir, 'already-there.json');
    writeFileSync(existing, '{}');
    await expect(deleteOrphans(db, { backupPath: existing, actor: testActor })).rejects.toThrow(/EEXIST/);
    await expect(deleteOrphans(db, { backupPath: path.join(dir, 'no/such/dir.json'), actor: testActor })).rejects.toThrow();
    expect(await dump()).toEqual(before);
  });

  it('refuses a file that is not a backup', async () => {
    const bogus = path.join(dir, 'bogus.json');
    writeFileSync(bogus, JSON.stringify({ kind: 'something-else' }));
    await expect(restoreOrphans(db, { backupPath: bogus, actor: testActor })).rejects.toMatchObject({ code: 'VALIDATION' });
    expect(existsSync(bogus)).toBe(true);
  });
});
