import type pg from 'pg';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { expectRefused, rawClient } from '../support/db';
import { resetAlerts } from './support';

/**
 * The invariants of the incidents-and-alerts migration hold in the database itself: each is
 * broken here with raw SQL, as a script or another client could, and refused by its constraint.
 */

let c: pg.Client;
let channel: number;
let incident: number;

beforeAll(async () => {
  c = await rawClient();
});
afterAll(async () => {
  await c.end();
});
beforeEach(async () => {
  await resetAlerts(c);
  channel = (
    await c.query<{ id: number }>(
      `INSERT INTO notification_channels (kind, name, target, created_by) VALUES ('WEBHOOK', 'ch', 'https://x.test/h', 't') RETURNING id`,
    )
  ).rows[0]!.id;
  incident = (await c.query<{ id: number }>(`INSERT INTO incidents (condition, opened_figures) VALUES ('SYNC_OVERDUE', '{}') RETURNING id`))
    .rows[0]!.id;
});

const refusedBy = async (sql: string, params: unknown[] = []) => {
  const e = await expectRefused(c, sql, params);
  return `${e.code} ${e.constraint}`;
};

describe('incidents', () => {
  it('has at most one open incident per condition and subject (incidents_one_open)', async () => {
    expect(await refusedBy(`INSERT INTO incidents (condition, opened_figures) VALUES ('SYNC_OVERDUE', '{}')`)).toBe(
      '23505 incidents_one_open',
    );
    // Resolved ones do not count, and writers are told apart by their subject.
    await c.query(`UPDATE incidents SET resolved_at = now(), resolved_figures = '{}' WHERE id = $1`, [incident]);
    await c.query(`INSERT INTO incidents (condition, opened_figures) VALUES ('SYNC_OVERDUE', '{}')`);
    await c.query(
      `INSERT INTO incidents (condition, subject, opened_figures) VALUES ('WRITER_BURST', 'sql:a', '{}'), ('WRITER_BURST', 'sql:b', '{}')`,
    );
    expect(await refusedBy(`INSERT INTO incidents (condition, subject, opened_figures) VALUES ('WRITER_BURST', 'sql:a', '{}')`)).toBe(
      '23505 incidents_one_open',
    );
    expect(await refusedBy(`UPDATE incidents SET resolved_at = NULL, resolved_figures = NULL WHERE id = $1`, [incident])).toBe(
      '23505 incidents_one_open',
    );
  });

  it('refuses a resolution before the opening, or without figures, and figures without a resolution', async () => {
    expect(
      await refusedBy(`UPDATE incidents SET resolved_at = opened_at - interval '1 second', resolved_figures = '{}' WHERE id = $1`, [
        incident,
      ]),
    ).toBe('23514 incidents_resolved_after_opened');
    expect(await refusedBy(`UPDATE incidents SET resolved_at = now() WHERE id = $1`, [incident])).toBe(
      '23514 incidents_resolved_with_figures',
    );
    expect(await refusedBy(`UPDATE incidents SET resolved_figures = '{}' WHERE id = $1`, [incident])).toBe(
      '23514 incidents_resolved_with_figures',
    );
  });

  it('refuses an acknowledgement by no one, and a subject on anything but WRITER_BURST', async () => {
    expect(await refusedBy(`UPDATE incidents SET acknowledged_at = now() WHERE id = $1`, [incident])).toBe(
      '23514 incidents_acknowledged_by_someone',
    );
    expect(await refusedBy(`UPDATE incidents SET acknowledged_by = 'a' WHERE id = $1`, [incident])).toBe(
      '23514 incidents_acknowledged_by_someone',
    );
    expect(await refusedBy(`INSERT INTO incidents (condition, subject, opened_figures) VALUES ('AUDIT_DRIFT', 'sql:x', '{}')`)).toBe(
      '23514 incidents_subject_only_for_writers',
    );
    expect(
      await refusedBy(`UPDATE incidents SET acknowledged_at = opened_at - interval '1 s', acknowledged_by = 'a' WHERE id = $1`, [incident]),
    ).toBe('23514 incidents_acknowledged_after_opened');
  });

  it('drops an incident with its timeline and deliveries', async () => {
    await c.query(`INSERT INTO incident_events (incident_id, kind) VALUES ($1, 'OPENED')`, [incident]);
    await c.query(`INSERT INTO deliveries (channel_id, incident_id, event, payload) VALUES ($1, $2, 'OPEN', '{}')`, [channel, incident]);
    await c.query(`DELETE FROM incidents WHERE id = $1`, [incident]);
    const { rows } = await c.query(`SELECT (SELECT count(*) FROM incident_events)::int AS e, (SELECT count(*) FROM deliveries)::int AS d`);
    expect(rows[0]).toEqual({ e: 0, d: 0 });
  });
});

describe('notification channels', () => {
  const insert = (name: string, target: string, kind = 'WEBHOOK', secret: string | null = null) =>
    refusedBy(`INSERT INTO notification_channels (kind, name, target, secret, created_by) VALUES ($1, $2, $3, $4, 't')`, [
      kind,
      name,
      target,
      secret,
    ]);

  it('refuses blank or long names and targets, a secret on anything but a webhook, a NULL list of conditions, a second name', async () => {
    expect(await insert('  ', 'https://x.test')).toBe('23514 notification_channels_name_not_blank');
    expect(await insert('n'.repeat(101), 'https://x.test')).toBe('23514 notification_channels_name_not_blank');
    expect(await insert('n', ' ')).toBe('23514 notification_channels_target_not_blank');
    expect(await insert('n', `https://x.test/${'p'.repeat(2040)}`)).toBe('23514 notification_channels_target_not_blank');
    expect(await insert('n', 'https://hooks.slack.test/x', 'SLACK', 'sixteen-chars-secret')).toBe(
      '23514 notification_channels_secret_only_webhooks',
    );
    expect(await insert('n', 'a@b.test', 'EMAIL', 'sixteen-chars-secret')).toBe('23514 notification_channels_secret_only_webhooks');
    expect(
      await refusedBy(
        `INSERT INTO notification_channels (kind, name, target, conditions, created_by) VALUES ('WEBHOOK', 'n', 'https://x.test', NULL, 't')`,
      ),
    ).toBe('23514 notification_channels_conditions_set');
    expect(await insert('ch', 'https://x.test')).toBe('23505 notification_channels_name_key');
  });
});

describe('deliveries', () => {
  const insert = (cols: string, values: string, params: unknown[] = []) =>
    refusedBy(`INSERT INTO deliveries (channel_id, payload, ${cols}) VALUES (${channel}, '{}', ${values})`, params);

  it('refuses negative attempts, delivered and failed at once, a TEST with an incident and an incident notice without one', async () => {
    expect(await insert('incident_id, event, attempts', `${incident}, 'OPEN', -1`)).toBe('23514 deliveries_attempts_nonnegative');
    expect(await insert('incident_id, event, delivered_at, failed_at', `${incident}, 'OPEN', now(), now()`)).toBe(
      '23514 deliveries_delivered_or_failed',
    );
    expect(await insert('incident_id, event', `${incident}, 'TEST'`)).toBe('23514 deliveries_incident_unless_test');
    for (const event of ['OPEN', 'RESOLVED', 'REMINDER']) {
      expect(await insert('event', `'${event}'`)).toBe('23514 deliveries_incident_unless_test');
    }
    // Sent or given up only after an attempt; the first attempt's time exactly when there was one.
    expect(await insert('incident_id, event, delivered_at', `${incident}, 'OPEN', now()`)).toBe('23514 deliveries_finished_after_attempts');
    expect(await insert('incident_id, event, failed_at', `${incident}, 'OPEN', now()`)).toBe('23514 deliveries_finished_after_attempts');
    expect(await insert('incident_id, event, attempts', `${incident}, 'OPEN', 1`)).toBe('23514 deliveries_first_attempt_iff_attempted');
    expect(await insert('incident_id, event, first_attempt_at', `${incident}, 'OPEN', now()`)).toBe(
      '23514 deliveries_first_attempt_iff_attempted',
    );
    await c.query(`INSERT INTO deliveries (channel_id, payload, event) VALUES ($1, '{}', 'TEST')`, [channel]);
  });

  it('goes with its channel', async () => {
    await c.query(`INSERT INTO deliveries (channel_id, incident_id, payload, event) VALUES ($1, $2, '{}', 'OPEN')`, [channel, incident]);
    await c.query(`DELETE FROM notification_channels WHERE id = $1`, [channel]);
    expect((await c.query(`SELECT count(*)::int AS n FROM deliveries`)).rows[0].n).toBe(0);
  });
});

describe('maintenance windows', () => {
  const insert = (values: string) =>
    refusedBy(`INSERT INTO maintenance_windows (starts_at, ends_at, conditions, reason, created_by) VALUES (${values}, 't')`);

  it('refuses a window that ends before it starts, a blank or long reason, a NULL list of conditions', async () => {
    expect(await insert(`now(), now(), '{}', 'r'`)).toBe('23514 maintenance_windows_ends_after_start');
    expect(await insert(`now(), now() - interval '1 hour', '{}', 'r'`)).toBe('23514 maintenance_windows_ends_after_start');
    expect(await insert(`now(), now() + interval '1 hour', '{}', '   '`)).toBe('23514 maintenance_windows_reason_not_blank');
    expect(await insert(`now(), now() + interval '1 hour', '{}', repeat('r', 501)`)).toBe('23514 maintenance_windows_reason_not_blank');
    expect(await insert(`now(), now() + interval '1 hour', NULL, 'r'`)).toBe('23514 maintenance_windows_conditions_set');
  });
});
