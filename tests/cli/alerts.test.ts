import { createHmac } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { rawClient } from '../support/db';
import { cliWith } from '../support/cli';

/**
 * `syncwatch alerts` spawned as the real bin against this file's database: channels added,
 * listed (masked, never a secret), tested against a real local receiver (the CLI runs the
 * delivery worker itself), removed; maintenance windows; open incidents. The tests run in order
 * on one set of channels, to keep the number of spawns low.
 */

vi.setConfig({ testTimeout: 180_000 });

const SECRET = 'cli-test-secret-0123456789';
const TOKEN_PATH = '/hooks/T000-secret-token-path';

// A receiver on 127.0.0.1 is a private address; a short retry window makes a failing test end quickly.
const syncwatch = cliWith({ ALERTS_ALLOW_PRIVATE_NETWORK: 'true', ALERT_RETRY_MINUTES: '0.05' });

const received: { path: string; headers: IncomingHttpHeaders; body: string }[] = [];
let receiver: Server;
let origin = '';
let c: pg.Client;

beforeAll(async () => {
  c = await rawClient();
  receiver = createServer((req, res) => {
    let body = '';
    req.on('data', (d: Buffer) => (body += d.toString('utf8')));
    req.on('end', () => {
      received.push({ path: req.url ?? '', headers: req.headers, body });
      res.writeHead(200).end('ok');
    });
  });
  await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r));
  origin = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}`;
});
afterAll(async () => {
  await new Promise<void>((r) => receiver.close(() => r()));
  await c.end();
});

describe('syncwatch alerts', () => {
  it('adds a webhook, a Slack and an email channel, printing the URL masked', async () => {
    const hook = await syncwatch('alerts', 'add-webhook', `${origin}${TOKEN_PATH}`, '--name', 'ops hook', '--secret', SECRET);
    expect(hook.code, hook.stderr).toBe(0);
    expect(hook.stdout).toContain(`Added WEBHOOK channel ops hook: ${origin}/…`);
    expect(hook.stdout + hook.stderr).not.toContain(TOKEN_PATH);
    expect(hook.stdout + hook.stderr).not.toContain(SECRET);
    const slack = await syncwatch('alerts', 'add-slack', `${origin}/services/T1/B2/XYZ`, '--name', 'slack', '--condition', 'SYNC_OVERDUE');
    expect(slack.code, slack.stderr).toBe(0);
    expect(slack.stdout).toContain('Sync overdue');
    const email = await syncwatch('alerts', 'add-email', 'oncall@example.com', '--name', 'oncall');
    expect(email.code, email.stderr).toBe(0);
    const { rows } = await c.query(
      `SELECT name, kind::text, target, secret, conditions::text[], created_by FROM notification_channels ORDER BY name`,
    );
    expect(rows).toEqual([
      { name: 'oncall', kind: 'EMAIL', target: 'oncall@example.com', secret: null, conditions: [], created_by: 'cli' },
      { name: 'ops hook', kind: 'WEBHOOK', target: `${origin}${TOKEN_PATH}`, secret: SECRET, conditions: [], created_by: 'cli' },
      {
        name: 'slack',
        kind: 'SLACK',
        target: `${origin}/services/T1/B2/XYZ`,
        secret: null,
        conditions: ['SYNC_OVERDUE'],
        created_by: 'cli',
      },
    ]);
    const audit = await c.query(
      `SELECT count(*)::int AS n FROM audit_events WHERE action = 'CHANNEL_ADDED' AND actor = 'cli' AND source = 'CLI'`,
    );
    expect(audit.rows[0].n).toBe(3);
  });

  it('refuses a taken name with exit 1 and bad input with exit 2, adding nothing', async () => {
    const taken = await syncwatch('alerts', 'add-email', 'other@example.com', '--name', 'oncall');
    expect(taken.code).toBe(1);
    expect(taken.stderr).toContain('exists already');
    const noName = await syncwatch('alerts', 'add-slack', `${origin}/x`);
    expect(noName.code).toBe(2);
    expect(noName.stderr).toContain('--name NAME is required');
    const shortSecret = await syncwatch('alerts', 'add-webhook', `${origin}/x`, '--name', 'short', '--secret', 'abc');
    expect(shortSecret.code).toBe(2);
    expect(shortSecret.stderr).toContain('secret: must be at least 16 characters');
    expect(shortSecret.stderr).not.toContain('abc');
    expect((await c.query(`SELECT count(*)::int AS n FROM notification_channels`)).rows[0].n).toBe(3);
  });

  it('lists every channel with its target masked, never a secret or a URL path, as a table or JSON', async () => {
    const r = await syncwatch('alerts', 'list');
    expect(r.code, r.stderr).toBe(0);
    const [header, ...lines] = r.stdout.trim().split('\n');
    expect(header).toMatch(/^NAME\s+KIND\s+TARGET\s+SIGNED\s+CONDITIONS\s+LAST DELIVERY$/);
    expect(lines).toHaveLength(3);
    expect(lines[0]).toMatch(/^oncall\s+EMAIL\s+oncall@example\.com\s+no\s+all\s+-$/);
    expect(lines[1]).toMatch(new RegExp(`^ops hook\\s+WEBHOOK\\s+${origin.replaceAll('.', '\\.')}/…\\s+yes\\s+all\\s+-$`));
    expect(lines[2]).toMatch(/^slack\s+SLACK\s+\S+\s+no\s+SYNC_OVERDUE\s+-$/);
    const json = await syncwatch('alerts', 'list', '--json');
    expect(json.code, json.stderr).toBe(0);
    const channels = JSON.parse(json.stdout) as { name: string; target: string; hasSecret: boolean }[];
    expect(channels.map((ch) => [ch.name, ch.target, ch.hasSecret])).toEqual([
      ['oncall', 'oncall@example.com', false],
      ['ops hook', `${origin}/…`, true],
      ['slack', `${origin}/…`, false],
    ]);
    for (const out of [r.stdout, json.stdout]) {
      expect(out).not.toContain(SECRET);
      expect(out).not.toContain(TOKEN_PATH);
      expect(out).not.toContain('/services/T1');
    }
  });

  it('test delivers a signed TEST notification from the CLI process itself, and shows it on the list', async () => {
    received.length = 0;
    const r = await syncwatch('alerts', 'test', 'ops hook');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^Test delivered to ops hook \(200\), 1 attempt\.$/m);
    expect(received).toHaveLength(1);
    const [req] = received;
    expect(req!.path).toBe(TOKEN_PATH);
    const expected = `sha256=${createHmac('sha256', SECRET).update(req!.body, 'utf8').digest('hex')}`;
    expect(req!.headers['x-syncwatch-signature']).toBe(expected);
    expect(req!.headers['x-syncwatch-delivery']).toMatch(/^\d+$/);
    expect(JSON.parse(req!.body)).toMatchObject({ state: 'test' });
    const list = await syncwatch('alerts', 'list');
    expect(list.stdout).toMatch(/ops hook\s+.*delivered /);
  });

  it('test of a receiver that refuses ends failed with exit 1; of an unknown channel, exit 1', async () => {
    const closed = createServer();
    await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r));
    const port = (closed.address() as AddressInfo).port;
    await new Promise<void>((r) => closed.close(() => r()));
    expect((await syncwatch('alerts', 'add-webhook', `http://127.0.0.1:${port}/gone`, '--name', 'gone')).code).toBe(0);
    const r = await syncwatch('alerts', 'test', 'gone');
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/test to gone failed: \S+, \d+ attempts?\./);
    expect(r.stderr).not.toContain('/gone');
    const list = await syncwatch('alerts', 'list');
    expect(list.stdout).toMatch(/gone\s+.*failed: \S+, \d+ attempts?/);
    const unknown = await syncwatch('alerts', 'test', 'nope');
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain('There is no channel named "nope"');
  });

  it('removes a channel; removing it again exits 1', async () => {
    const r = await syncwatch('alerts', 'remove', 'slack');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('Removed channel slack');
    expect((await c.query(`SELECT name FROM notification_channels ORDER BY name`)).rows.map((x) => x.name)).toEqual([
      'gone',
      'oncall',
      'ops hook',
    ]);
    const again = await syncwatch('alerts', 'remove', 'slack');
    expect(again.code).toBe(1);
    expect(again.stderr).toContain('There is no channel named "slack"');
  });

  it('mutes some conditions until a time with a reason, and unmutes', async () => {
    const until = new Date(Date.now() + 2 * 3_600_000);
    const r = await syncwatch(
      'alerts',
      'mute',
      '--until',
      until.toISOString(),
      '--reason',
      'database upgrade',
      '--condition',
      'SYNC_OVERDUE',
      '--condition',
      'ORPHANS_PRESENT',
    );
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^Muted Sync overdue, Orphans present until \S+Z \(maintenance window #(\d+)\): database upgrade$/m);
    const { rows } = await c.query(`SELECT id, ends_at, conditions::text[], reason, created_by, ended_at FROM maintenance_windows`);
    expect(rows).toEqual([
      {
        id: expect.any(Number),
        ends_at: until,
        conditions: ['SYNC_OVERDUE', 'ORPHANS_PRESENT'],
        reason: 'database upgrade',
        created_by: 'cli',
        ended_at: null,
      },
    ]);
    const past = await syncwatch('alerts', 'mute', '--until', '2020-01-01T00:00:00Z', '--reason', 'too late');
    expect(past.code).toBe(2);
    expect(past.stderr).toContain('until: must be in the future');
    const end = await syncwatch('alerts', 'unmute', String(rows[0].id));
    expect(end.code, end.stderr).toBe(0);
    expect(end.stdout).toContain(`Ended maintenance window #${rows[0].id}`);
    expect((await c.query(`SELECT ended_at FROM maintenance_windows`)).rows[0].ended_at).toBeInstanceOf(Date);
    expect((await c.query(`SELECT count(*)::int AS n FROM maintenance_windows`)).rows[0].n).toBe(1);
  });

  it('incidents lists the open incidents, as a table or JSON', async () => {
    const none = await syncwatch('alerts', 'incidents');
    expect(none.code, none.stderr).toBe(0);
    expect(none.stdout.trim()).toBe('No open incidents.');
    await c.query(
      `INSERT INTO incidents (condition, opened_figures) VALUES ('ORPHANS_PRESENT', '{"summary":"3 orphan row(s).","orphans":3}')`,
    );
    const r = await syncwatch('alerts', 'incidents');
    expect(r.code, r.stderr).toBe(0);
    const [header, row] = r.stdout.trim().split('\n');
    expect(header).toMatch(/^ID\s+CONDITION\s+SUBJECT\s+OPENED\s+FOR\s+ACKNOWLEDGED\s+SUMMARY$/);
    expect(row).toMatch(/^\d+\s+ORPHANS_PRESENT\s+-\s+\S+Z\s+.+\s+no\s+3 orphan row\(s\)\.$/);
    const json = await syncwatch('alerts', 'incidents', '--json');
    expect(JSON.parse(json.stdout)).toEqual([
      expect.objectContaining({ condition: 'ORPHANS_PRESENT', state: 'OPEN', summary: '3 orphan row(s).' }),
    ]);
  });
});
