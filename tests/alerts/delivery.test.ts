import { createHmac } from 'node:crypto';
import type pg from 'pg';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { addChannel, backoffMs, getDelivery, getIncident, listChannels, runDeliveries, sendTestNotification } from '../../lib/alerts';
import { runSyncJob } from '../../lib/sync';
import { db, rawClient } from '../support/db';
import { testActor } from '../support/factories';
import {
  decodeQuotedPrintable,
  mailHeader,
  mailPartTypes,
  startHttpReceiver,
  startSmtpReceiver,
  startTarpit,
  type HttpReceiver,
  type SmtpReceiver,
} from '../support/receivers';
import {
  APP_URL,
  countOf,
  createPairs,
  deliverAll,
  deliveryOptions,
  eventually,
  evaluate,
  resetAlerts,
  sleep,
  timelineOf,
} from './support';

/**
 * The outbox end to end, against a real HTTP receiver and a real SMTP server: an incident opens,
 * one signed webhook and one email go out; it resolves, one recovery each; a receiver that fails
 * a few times still gets the notice once; one that keeps failing is given up on and the channel
 * says so. Breaking consistency: 3 pairs, 1 desynced (66.7% < 99.9%).
 */

const SECRET = 'a-webhook-secret-of-32-characters';
let c: pg.Client;
let http: HttpReceiver;
let smtp: SmtpReceiver;

beforeAll(async () => {
  c = await rawClient();
  http = await startHttpReceiver();
  smtp = await startSmtpReceiver();
});
afterAll(async () => {
  await http.close();
  await smtp.close();
  await c.end();
});
beforeEach(async () => {
  await resetAlerts(c);
  http.reset();
  smtp.reset();
});

const hmac = (body: string, secret = SECRET) => `sha256=${createHmac('sha256', secret).update(body, 'utf8').digest('hex')}`;
const hooks = () => http.at('/hook/t0ken-in-path?k=1');
const bodyOf = (r: { body: string }) => JSON.parse(r.body) as Record<string, unknown> & { incident: Record<string, unknown> };

async function webhook(name = 'ops-hook', extra: { conditions?: ('CONSISTENCY_BELOW_TARGET' | 'SYNC_JOB_FAILED')[] } = {}) {
  return addChannel(db, { kind: 'WEBHOOK', name, target: `${http.origin}/hook/t0ken-in-path?k=1`, secret: SECRET, ...extra }, testActor, {
    allowPrivateNetwork: true,
  });
}
const email = (address = 'oncall@example.test') =>
  addChannel(db, { kind: 'EMAIL', name: 'ops-mail', target: address }, testActor, { allowPrivateNetwork: true });

describe('an incident opens and resolves', () => {
  it('sends one signed webhook and one email when it opens, one recovery each when it resolves, nothing more unchanged', async () => {
    await webhook();
    await email();
    await createPairs(c, 2, 1);
    const opts = deliveryOptions(smtp.url);

    const first = await evaluate(db);
    expect(first.opened.map((i) => i.condition)).toEqual(['CONSISTENCY_BELOW_TARGET']);
    const id = first.opened[0]!.id;
    await deliverAll(db, opts);

    expect(hooks()).toHaveLength(1);
    const post = hooks()[0]!;
    expect(post.method).toBe('POST');
    expect(post.headers['content-type']).toMatch(/^application\/json/);
    expect(post.headers['x-syncwatch-signature']).toBe(hmac(post.body));
    const body = bodyOf(post);
    expect(post.headers['x-syncwatch-delivery']).toBe(body.delivery);
    expect(body).toMatchObject({ state: 'open', incident: { id, condition: 'CONSISTENCY_BELOW_TARGET' } });
    expect(body.incident.url).toBe(`https://syncwatch.test/incidents/${id}`);
    expect(body.incident.figures).toMatchObject({ pairs: 3, consistent: 2, targetPercent: 99.9 });
    expect((body.incident.figures as { consistencyPercent: number }).consistencyPercent).toBeCloseTo(66.667, 2);

    expect(smtp.messages).toHaveLength(1);
    const mail = smtp.messages[0]!;
    expect(mail.to).toEqual(['oncall@example.test']);
    expect(mail.from).toBe('alerts@syncwatch.test');
    expect(mailHeader(mail.raw, 'To')).toBe('oncall@example.test');
    expect(mailHeader(mail.raw, 'Subject')).toContain('Consistency below target');
    expect(mailHeader(mail.raw, 'Subject')).toContain('opened');
    expect(mailPartTypes(mail.raw)).toEqual(expect.arrayContaining(['text/plain', 'text/html']));
    expect(decodeQuotedPrintable(mail.raw)).toContain(`${APP_URL}incidents/${id}`);
    const mailDelivery = mailHeader(mail.raw, 'X-SyncWatch-Delivery');
    expect(mailDelivery).toMatch(/^\d+$/);
    expect(mailDelivery).not.toBe(body.delivery);

    // Repaired by a sync job: one recovery notice each.
    await runSyncJob(db, { trigger: 'MANUAL', actor: testActor });
    const second = await evaluate(db);
    expect(second.resolved.map((i) => i.id)).toEqual([id]);
    await deliverAll(db, opts);
    expect(hooks()).toHaveLength(2);
    const recovery = hooks()[1]!;
    expect(recovery.headers['x-syncwatch-signature']).toBe(hmac(recovery.body));
    expect(bodyOf(recovery)).toMatchObject({ state: 'resolved', incident: { id, condition: 'CONSISTENCY_BELOW_TARGET' } });
    expect(bodyOf(recovery).incident.figures).toMatchObject({ pairs: 3, consistent: 3 });
    expect(smtp.messages).toHaveLength(2);
    expect(mailHeader(smtp.messages[1]!.raw, 'Subject')).toContain('resolved');

    // No change: nothing more, however often it is evaluated.
    expect(await evaluate(db)).toEqual({ opened: [], resolved: [], reminded: 0 });
    await deliverAll(db, opts);
    expect(hooks()).toHaveLength(2);
    expect(smtp.messages).toHaveLength(2);
    expect(await timelineOf(c, id)).toEqual(['OPENED', 'NOTIFIED', 'NOTIFIED', 'RESOLVED', 'NOTIFIED', 'NOTIFIED']);
    const detail = await getIncident(db, id);
    expect(detail).toMatchObject({ state: 'RESOLVED', muted: false });
    expect(detail!.deliveries.map((d) => [d.channel, d.event, d.attempts, d.deliveredAt !== null])).toEqual([
      ['ops-hook', 'OPEN', 1, true],
      ['ops-mail', 'OPEN', 1, true],
      ['ops-hook', 'RESOLVED', 1, true],
      ['ops-mail', 'RESOLVED', 1, true],
    ]);
  });
});

describe('retries', () => {
  it('delivers on the fourth attempt, once, when the receiver answers 500 three times', async () => {
    await webhook();
    await createPairs(c, 2, 1);
    http.failNext(3);
    const { opened } = await evaluate(db);
    await deliverAll(db, deliveryOptions(smtp.url));

    expect(hooks().map((r) => r.headers['x-syncwatch-delivery'])).toEqual(Array(4).fill(hooks()[0]!.headers['x-syncwatch-delivery']));
    // Every retry sends the same bytes, signed the same way.
    expect(new Set(hooks().map((r) => r.body)).size).toBe(1);
    const [row] = (await c.query(`SELECT attempts, delivered_at, failed_at, last_status FROM deliveries`)).rows;
    expect(row).toMatchObject({ attempts: 4, failed_at: null, last_status: '200' });
    expect(row.delivered_at).toBeInstanceOf(Date);
    expect(await timelineOf(c, opened[0]!.id)).toEqual(['OPENED', 'NOTIFIED']);
    expect((await listChannels(db))[0]!.lastDelivery).toMatchObject({ ok: true, status: '200', attempts: 4 });
  });

  it('gives up after the retry time: failed_at, DELIVERY_FAILED on the timeline, and the channel shows the failure', async () => {
    await webhook();
    await createPairs(c, 2, 1);
    http.failAlways(500);
    const { opened } = await evaluate(db);
    const opts = deliveryOptions(smtp.url, { retryMs: 500 });
    await deliverAll(db, opts);

    const [row] = (await c.query(`SELECT id::text, attempts, delivered_at, failed_at, last_status, last_error FROM deliveries`)).rows;
    expect(row).toMatchObject({ delivered_at: null, last_status: '500' });
    expect(row.failed_at).toBeInstanceOf(Date);
    expect(row.attempts).toBeGreaterThanOrEqual(2);
    expect(hooks()).toHaveLength(row.attempts);
    expect(await timelineOf(c, opened[0]!.id)).toEqual(['OPENED', 'DELIVERY_FAILED']);
    const [channel] = await listChannels(db);
    expect(channel!.lastDelivery).toMatchObject({ ok: false, status: '500', attempts: row.attempts });
    expect(await getDelivery(db, row.id)).toMatchObject({ attempts: row.attempts, lastStatus: '500' });

    // Given up means given up: more rounds send nothing.
    const before = hooks().length;
    expect(await runDeliveries(db, opts)).toEqual({ sent: 0, retried: 0, failed: 0 });
    expect(hooks()).toHaveLength(before);
  });

  it('does not follow a redirect: the 302 is a failed attempt', async () => {
    await webhook();
    await createPairs(c, 2, 1);
    http.answerWith({ status: 302, headers: { location: `${http.origin}/elsewhere` } });
    await evaluate(db);
    await deliverAll(db, deliveryOptions(smtp.url, { retryMs: 0 }));
    expect(http.at('/elsewhere')).toHaveLength(0);
    expect((await listChannels(db))[0]!.lastDelivery).toMatchObject({ ok: false, status: '302', attempts: 1 });
  });

  it('calls a receiver that does not answer in time a timeout', async () => {
    await webhook();
    await createPairs(c, 2, 1);
    http.delayMs = 1_000;
    await evaluate(db);
    await deliverAll(db, deliveryOptions(smtp.url, { retryMs: 0, timeoutMs: 100 }));
    expect((await listChannels(db))[0]!.lastDelivery).toMatchObject({ ok: false, status: 'timeout', attempts: 1 });
  });
});

describe('email failures', () => {
  it('an SMTP server that refuses the address: "smtp 550", nothing received', async () => {
    const refusing = await startSmtpReceiver({ rejectRecipients: true });
    try {
      await email('nobody@example.test');
      await createPairs(c, 2, 1);
      await evaluate(db);
      await deliverAll(db, deliveryOptions(refusing.url, { retryMs: 0 }));
      expect(refusing.messages).toHaveLength(0);
      expect((await listChannels(db))[0]!.lastDelivery).toMatchObject({ ok: false, status: 'smtp 550', attempts: 1 });
    } finally {
      await refusing.close();
    }
  });

  it('an SMTP server that never answers is a timeout within timeoutMs, and holds up no other channel', async () => {
    const tarpit = await startTarpit();
    await email();
    await webhook();
    await createPairs(c, 2, 1);
    await evaluate(db);
    const round = runDeliveries(db, deliveryOptions(`smtp://127.0.0.1:${tarpit.port}`, { retryMs: 0, timeoutMs: 200 }));
    try {
      // The webhook is not held up by the mail server...
      await eventually('the webhook', () => hooks().length === 1, 5_000);
      // ...and the round ends as a timeout, well before nodemailer's own 30 s greeting timeout.
      const outcome = await Promise.race([round, sleep(5_000).then(() => 'still sending after 5 s')]);
      expect(outcome).toEqual({ sent: 1, retried: 0, failed: 1 });
      expect((await listChannels(db)).find((ch) => ch.name === 'ops-mail')!.lastDelivery).toMatchObject({ ok: false, status: 'timeout' });
    } finally {
      await tarpit.close();
      await round.catch(() => undefined);
    }
  });
});

describe('backoff', () => {
  it('doubles from the base up to the cap, with jitter between half and all of it', () => {
    expect([1, 2, 3, 4, 5, 6].map((n) => backoffMs(n, 100, 1_000, () => 1))).toEqual([100, 200, 400, 800, 1_000, 1_000]);
    expect([1, 2, 3, 4, 5, 6].map((n) => backoffMs(n, 100, 1_000, () => 0))).toEqual([50, 100, 200, 400, 500, 500]);
    expect(backoffMs(1_000, 2_000, 300_000, () => 1)).toBe(300_000);
  });
});

describe('channels', () => {
  it('a channel subscribed to some conditions only gets those', async () => {
    await webhook('all-hook');
    await webhook('jobs-hook', { conditions: ['SYNC_JOB_FAILED'] });
    await createPairs(c, 2, 1);
    await evaluate(db);
    await c.query(
      `INSERT INTO sync_jobs (status, trigger, actor, started_at, finished_at, heartbeat_at, duration_ms, error)
       VALUES ('FAILED', 'SCHEDULED', 'scheduler', now() - interval '1 minute', now(), now(), 60000, 'boom')`,
    );
    await evaluate(db);
    await deliverAll(db, deliveryOptions(smtp.url));
    const { rows } = await c.query<{ channel: string; condition: string }>(
      `SELECT ch.name AS channel, i.condition::text AS condition FROM deliveries d
       JOIN notification_channels ch ON ch.id = d.channel_id JOIN incidents i ON i.id = d.incident_id ORDER BY d.id`,
    );
    expect(rows).toEqual([
      { channel: 'all-hook', condition: 'CONSISTENCY_BELOW_TARGET' },
      { channel: 'all-hook', condition: 'SYNC_JOB_FAILED' },
      { channel: 'jobs-hook', condition: 'SYNC_JOB_FAILED' },
    ]);
    expect(hooks().map((r) => bodyOf(r).incident.condition)).toEqual(
      expect.arrayContaining(['CONSISTENCY_BELOW_TARGET', 'SYNC_JOB_FAILED', 'SYNC_JOB_FAILED']),
    );
    expect(hooks()).toHaveLength(3);
  });

  it('a new channel hears of the incidents already open that it subscribes to, once', async () => {
    await createPairs(c, 2, 1);
    const { opened } = await evaluate(db);
    await webhook('jobs-hook', { conditions: ['SYNC_JOB_FAILED'] });
    await webhook('late-hook');
    await deliverAll(db, deliveryOptions(smtp.url));
    expect(hooks()).toHaveLength(1);
    expect(bodyOf(hooks()[0]!)).toMatchObject({ state: 'open', incident: { id: opened[0]!.id, condition: 'CONSISTENCY_BELOW_TARGET' } });
    expect(bodyOf(hooks()[0]!).incident.url).toMatch(new RegExp(`/incidents/${opened[0]!.id}$`));
    expect(hooks()[0]!.headers['x-syncwatch-signature']).toBe(hmac(hooks()[0]!.body));
    expect(await evaluate(db)).toEqual({ opened: [], resolved: [], reminded: 0 });
    await deliverAll(db, deliveryOptions(smtp.url));
    expect(hooks()).toHaveLength(1);
  });

  it('a Slack channel gets a `text` and `blocks` body, unsigned', async () => {
    await addChannel(db, { kind: 'SLACK', name: 'ops-slack', target: `${http.origin}/services/T000/B000/xyz` }, testActor, {
      allowPrivateNetwork: true,
    });
    await createPairs(c, 2, 1);
    const { opened } = await evaluate(db);
    await deliverAll(db, deliveryOptions(smtp.url));
    const [post] = http.at('/services/T000/B000/xyz');
    expect(post!.headers['x-syncwatch-signature']).toBeUndefined();
    const body = JSON.parse(post!.body) as { text: string; blocks: { type: string }[] };
    expect(body.text).toContain('Consistency below target');
    expect(body.blocks.length).toBeGreaterThanOrEqual(2);
    expect(body.blocks[0]!.type).toBe('header');
    expect(JSON.stringify(body.blocks)).toContain(`/incidents/${opened[0]!.id}`);
  });

  it('an email channel with SMTP_URL unset fails with status "not configured"', async () => {
    await email();
    await createPairs(c, 2, 1);
    const { opened } = await evaluate(db);
    await deliverAll(db, deliveryOptions(undefined, { retryMs: 0 }));
    expect(smtp.messages).toHaveLength(0);
    const [d] = (await getIncident(db, opened[0]!.id))!.deliveries;
    expect(d).toMatchObject({ channel: 'ops-mail', lastStatus: 'not configured', deliveredAt: null });
    expect(d!.failedAt).toBeInstanceOf(Date);
    expect((await listChannels(db))[0]!.lastDelivery).toMatchObject({ ok: false, status: 'not configured' });
  });

  it('"Send test" queues a TEST notice that is delivered like any other, with no incident', async () => {
    await webhook();
    await email();
    const { deliveryId } = await sendTestNotification(db, 'ops-hook', testActor);
    await sendTestNotification(db, 'ops-mail', testActor);
    await deliverAll(db, deliveryOptions(smtp.url));
    expect(hooks()).toHaveLength(1);
    expect(hooks()[0]!.headers['x-syncwatch-delivery']).toBe(deliveryId);
    expect(hooks()[0]!.headers['x-syncwatch-signature']).toBe(hmac(hooks()[0]!.body));
    expect(bodyOf(hooks()[0]!)).toMatchObject({ delivery: deliveryId, state: 'test', incident: null, channel: 'ops-hook' });
    expect(smtp.messages).toHaveLength(1);
    expect(await getDelivery(db, deliveryId)).toMatchObject({ event: 'TEST', attempts: 1, lastStatus: '200' });
    expect(await countOf(c, `SELECT 1 FROM incident_events`)).toBe(0);
    await eventually(
      'the test to be audited',
      async () => (await countOf(c, `SELECT 1 FROM audit_events WHERE action = 'CHANNEL_TESTED'`)) === 2,
    );
  });
});
