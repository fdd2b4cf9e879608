import path from 'node:path';
import type pg from 'pg';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { rawClient } from '../support/db';
import { createPair } from '../support/factories';
import { syncwatch } from '../support/cli';

/**
 * The real CLI (the `syncwatch` bin, scripts/syncwatch.mjs), spawned against this file's
 * database: its exit codes are what cron jobs and CI alert on.
 */

// Each spawn compiles the CLI with tsx; on a busy two-core machine a test can take a while.
vi.setConfig({ testTimeout: 180_000 });

let c: pg.Client;
beforeAll(async () => {
  c = await rawClient();
});
afterAll(async () => {
  await c.end();
});
beforeEach(async () => {
  await c.query(
    `TRUNCATE current_desyncs, health_checks, sync_job_items, sync_jobs, audit_events, scheduler_state,
       specialization_progress, user_licenses`,
  );
});

describe('syncwatch check', () => {
  it('exits 0 when healthy', async () => {
    for (let i = 0; i < 3; i++) await createPair(c, { progressLevel: 2 });
    const r = await syncwatch('check');
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^SyncWatch integrity: HEALTHY/);
    expect(r.stdout).toMatch(/Consistent\s+3 \(100%, target 99\.9%\)/);
    const { rows } = await c.query(`SELECT source FROM health_checks`);
    expect(rows).toEqual([{ source: 'CLI' }]);
  });

  it('exits 1 when unhealthy, and --json gives the integrity report', async () => {
    await createPair(c, { progressLevel: 2 });
    await createPair(c, { progressLevel: 3, licenseLevel: 1 });
    const text = await syncwatch('check');
    expect(text.code).toBe(1);
    expect(text.stdout).toMatch(/^SyncWatch integrity: UNHEALTHY/);
    expect(text.stdout).toContain('Consistency 50% is under the 99.9% target.');

    const json = await syncwatch('check', '--json');
    expect(json.code).toBe(1);
    const report = JSON.parse(json.stdout);
    expect(report).toMatchObject({
      healthy: false,
      check: { pairs: 2, consistent: 1, desyncsByKind: { LEVEL_MISMATCH: 1 } },
      job: { state: 'NEVER_RUN' },
    });
  });

  it('exits 1 when the sync job is overdue, even with consistent data', async () => {
    await createPair(c, { progressLevel: 1 });
    await c.query(`INSERT INTO scheduler_state (id, first_started_at) VALUES (1, now() - interval '2 days')`);
    const r = await syncwatch('check');
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/The sync job is overdue/);
  });
});

describe('syncwatch sync', () => {
  it('repairs as a MANUAL job by "cli", with a plain progress line when not on a terminal', async () => {
    await createPair(c, { progressLevel: 3, licenseLevel: 1 });
    await createPair(c, { progressLevel: 2, licenseLevel: null });
    const r = await syncwatch('sync', '--reason', 'nightly check found drift');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^Job #\d+ SUCCEEDED in .*: found 2, synced 2, failed 0, reported 0/);
    expect(r.stderr).toContain('Syncing: 2 of 2 pairs (100%)');
    const { rows } = await c.query(`SELECT trigger, actor, reason, status FROM sync_jobs`);
    expect(rows).toEqual([{ trigger: 'MANUAL', actor: 'cli', reason: 'nightly check found drift', status: 'SUCCEEDED' }]);
  });

  it('--dry-run writes nothing', async () => {
    await createPair(c, { progressLevel: 3, licenseLevel: 1 });
    const r = await syncwatch('sync', '--dry-run');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^Dry run: a sync job would handle 1 pair\(s\) \(LEVEL_MISMATCH 1\)/);
    expect((await c.query(`SELECT count(*)::int AS n FROM sync_jobs`)).rows[0].n).toBe(0);
  });

  it('exits 2 and names who runs the job when one is already running', async () => {
    const { rows } = await c.query<{ id: number }>(
      `INSERT INTO sync_jobs (trigger, actor, started_at)
       VALUES ('MANUAL', 'admin@syncwatch.local', now() - interval '3 minutes') RETURNING id`,
    );
    const r = await syncwatch('sync');
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`A sync job is already running: job #${rows[0]!.id}, started by admin@syncwatch.local at `);
    expect(r.stderr).toMatch(/\(3 min \d+ s ago\)/);
  });
});

describe('syncwatch jobs and usage', () => {
  it('lists jobs as a table', async () => {
    await c.query(
      `INSERT INTO sync_jobs (status, trigger, actor, finished_at, duration_ms, found, synced)
       VALUES ('SUCCEEDED', 'SCHEDULED', 'scheduler', now(), 1500, 4, 4)`,
    );
    const r = await syncwatch('jobs', '--limit', '5');
    expect(r.code).toBe(0);
    const [header, row] = r.stdout.trim().split('\n');
    expect(header).toMatch(/^ID\s+STATUS\s+TRIGGER\s+ACTOR\s+STARTED\s+DURATION\s+FOUND\s+SYNCED\s+FAILED\s+REPORTED\s+SCOPE$/);
    expect(row).toMatch(/^\s*\d+\s+SUCCEEDED\s+SCHEDULED\s+scheduler\s+\S+Z\s+1\.5 s\s+4\s+4\s+0\s+0\s+-$/);
  });

  it('sync --kind --specialization repairs only that scope; jobs undo puts it back; jobs cancel of an ended job says so', async () => {
    const inScope = await createPair(c, { progressLevel: 3, licenseLevel: 1 });
    const otherKind = await createPair(c, { progressLevel: 2, licenseLevel: null });
    const otherSpec = await createPair(c, { spec: 'COACH', progressLevel: 3, licenseLevel: 1 });
    const license = async (p: { userId: number; spec: string }) =>
      (await c.query(`SELECT current_level FROM user_licenses WHERE user_id = $1 AND specialization_id = $2`, [p.userId, p.spec])).rows[0]
        ?.current_level ?? null;

    const dry = await syncwatch('sync', '--dry-run', '--kind', 'LEVEL_MISMATCH', '--specialization', 'PLAYER');
    expect(dry.code).toBe(0);
    expect(dry.stdout).toContain('Scope: Level mismatch · PLAYER.');
    expect(dry.stdout).toMatch(/would handle 1 pair\(s\) \(LEVEL_MISMATCH 1\)/);

    const r = await syncwatch('sync', '--kind', 'LEVEL_MISMATCH', '--specialization', 'PLAYER');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/found 1, synced 1/);
    expect([await license(inScope), await license(otherKind), await license(otherSpec)]).toEqual([3, null, 1]);
    const { rows } = await c.query<{ id: number; scope: unknown }>(`SELECT id, scope FROM sync_jobs`);
    expect(rows).toEqual([{ id: rows[0]!.id, scope: { kind: 'LEVEL_MISMATCH', specialization: 'PLAYER' } }]);
    const job = rows[0]!.id;

    const noReason = await syncwatch('jobs', 'undo', String(job));
    expect(noReason.code).toBe(2);
    expect(noReason.stderr).toContain('--reason is required to undo a job');

    const preview = await syncwatch('jobs', 'undo', String(job), '--dry-run');
    expect(preview.stdout).toMatch(/would put back 1 of the 1 pair\(s\) it changed; 0 changed since/);
    const undo = await syncwatch('jobs', 'undo', String(job), '--reason', 'repaired the wrong scope');
    expect(undo.code).toBe(0);
    expect(undo.stdout).toMatch(new RegExp(`^Job #\\d+ \\(undo of #${job}\\) SUCCEEDED in .*: put back 1, conflicts 0`));
    expect(await license(inScope)).toBe(1);
    const again = await syncwatch('jobs', 'undo', String(job), '--reason', 'twice');
    expect(again.code).toBe(1);
    expect(again.stderr).toContain(`Sync job #${job} was already undone`);

    const cancel = await syncwatch('jobs', 'cancel', String(job));
    expect(cancel.code).toBe(1);
    expect(cancel.stderr).toContain(`Sync job #${job} already ended (SUCCEEDED`);
    const missing = await syncwatch('jobs', 'cancel', '999999');
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('There is no sync job #999999.');
  });

  it('prints usage: exit 0 for --help, 2 for an unknown command or a bad option', async () => {
    const help = await syncwatch('--help');
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/^Usage: syncwatch <command>/);
    for (const cmd of ['check [--json]', 'sync [--dry-run] [--reason TEXT]', 'jobs [--limit N]']) expect(help.stdout).toContain(cmd);

    const unknown = await syncwatch('frobnicate');
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('unknown command "frobnicate"');
    expect(unknown.stderr).toContain('Usage: syncwatch <command>');

    const badLimit = await syncwatch('jobs', '--limit', '0');
    expect(badLimit.code).toBe(2);
    expect(badLimit.stderr).toContain('--limit must be at least 1');

    const badOption = await syncwatch('check', '--verbose');
    expect(badOption.code).toBe(2);
    expect(badOption.stderr).toMatch(/Unknown option '--verbose'/);
  });
});

describe('syncwatch orphans', () => {
  it('reports (dry run), deletes with a backup written first, and restores identical rows', async () => {
    const { mkdtempSync, readFileSync } = await import('node:fs');
    const os = await import('node:os');
    const dir = mkdtempSync(path.join(os.tmpdir(), 'syncwatch-cli-orphans-'));
    await createPair(c, { progressLevel: 2 });
    await c.query(`SET session_replication_role = replica`);
    await c.query(
      `INSERT INTO user_licenses (user_id, specialization_id, current_level, started_at)
       VALUES (880001, 'COACH', 3, '2025-03-04T05:06:07.089Z')`,
    );
    await c.query(`SET session_replication_role = origin`);
    const dump = async () => (await c.query(`SELECT * FROM user_licenses ORDER BY user_id, specialization_id`)).rows;
    const before = await dump();

    const report = await syncwatch('orphans');
    expect(report.code).toBe(0);
    expect(report.stdout).toMatch(/license\s+880001\s+COACH\s+3\s+learner 880001 does not exist/);
    expect(report.stdout).toMatch(/Dry run: nothing changed/);
    expect(await dump()).toEqual(before);

    expect((await syncwatch('orphans', '--delete')).code).toBe(2); // a backup file is required
    const backup = path.join(dir, 'backup.json');
    const del = await syncwatch('orphans', '--delete', '--backup', backup, '--reason', 'old restore');
    expect(del.code).toBe(0);
    expect(JSON.parse(readFileSync(backup, 'utf8')).licenses).toHaveLength(1);
    expect((await dump()).length).toBe(before.length - 1);
    expect((await syncwatch('orphans', '--delete', '--backup', backup)).stdout).toMatch(/No orphan rows/);

    const restore = await syncwatch('orphans', '--restore', backup);
    expect(restore.code).toBe(0);
    expect(await dump()).toEqual(before);
  });
});
