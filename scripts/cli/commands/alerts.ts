import { z } from 'zod';
import {
  addChannel,
  addChannelSchema,
  addMaintenanceWindow,
  deliveryOptionsFromEnv,
  endMaintenanceWindow,
  getDelivery,
  listChannels,
  listOpenIncidents,
  maintenanceSchema,
  removeChannel,
  runDeliveries,
  sendTestNotification,
  type ChannelView,
} from '../../../lib/alerts';
import type { Db } from '../../../lib/db/prisma';
import { isSyncError } from '../../../lib/sync';
import { CONDITION_LABELS, INCIDENT_CONDITIONS, type ChannelKind, type IncidentCondition } from '../../../lib/vocabulary';
import { ago, duration, printList, stamp } from '../format';
import { defineCommand, EXIT, type CliIO } from '../types';
import { CLI_ACTOR } from './sync';

/** How long `alerts test` waits for its delivery, running the delivery worker itself meanwhile. */
const TEST_WAIT_MS = 15_000;
const TEST_POLL_MS = 250;

const ADD = { 'add-webhook': 'WEBHOOK', 'add-slack': 'SLACK', 'add-email': 'EMAIL' } as const satisfies Record<string, ChannelKind>;
type AddVerb = keyof typeof ADD;
const SUBCOMMANDS = [...(Object.keys(ADD) as AddVerb[]), 'list', 'remove', 'test', 'mute', 'unmute', 'incidents'] as const;
type Subcommand = (typeof SUBCOMMANDS)[number];

const isAdd = (sub: string): sub is AddVerb => sub in ADD;
const conditionSchema = z.enum(INCIDENT_CONDITIONS, { error: `--condition must be one of ${INCIDENT_CONDITIONS.join(', ')}` });
// eslint-disable-next-line no-control-regex
const printable = (s: string) => !/[\u0000-\u001f\u007f]/.test(s);
const nameSchema = z
  .string()
  .min(1, 'a channel name is required')
  .max(100, 'a channel name is at most 100 characters')
  .refine(printable, 'a channel name has no control characters');

/**
 * Notification channels, maintenance windows and open incidents (issue 15). URLs are shown
 * masked (their origin) and secrets never: `list` prints what the page's "Channels" table shows.
 */
export const alertsCommand = defineCommand({
  name: 'alerts',
  summary: 'Notification channels (webhook, Slack, email), test deliveries, maintenance windows, open incidents',
  usage:
    'alerts add-webhook|add-slack URL --name NAME | add-email ADDRESS --name NAME | list | remove|test NAME | mute | unmute ID | incidents',
  details: [
    'add-webhook URL --name NAME   a generic webhook: a JSON POST, signed with --secret (X-SyncWatch-Signature)',
    'add-slack URL --name NAME     a Slack incoming webhook',
    'add-email ADDRESS --name NAME an email over SMTP (SMTP_URL)',
    '  --secret S                  the webhook signing secret, 16-256 characters (never shown again)',
    '  --condition C               what the channel is told about, repeatable (default: all):',
    `                              ${INCIDENT_CONDITIONS.join(', ')}`,
    'list [--json]                 every channel: kind, masked target, conditions, last delivery (never a secret)',
    'remove NAME                   remove a channel; nothing more is sent to it',
    `test NAME                     send a test notification and wait up to ${TEST_WAIT_MS / 1000} s for it (this process delivers it)`,
    'mute --until ISO --reason T   a maintenance window until ISO (at most 30 days ahead), for --condition C... (default: all):',
    '                              incidents still open and are recorded, their notifications wait until it ends',
    'unmute ID                     end maintenance window ID now',
    'incidents [--json]            the open incidents',
    '',
    'Exit 0 on success, 1 when a test was not delivered or a name or id does not exist, 2 on bad usage or input.',
  ],
  options: {
    name: { type: 'string' },
    secret: { type: 'string' },
    condition: { type: 'string', multiple: true },
    until: { type: 'string' },
    reason: { type: 'string' },
    json: { type: 'boolean', default: false },
  },
  schema: z
    .strictObject({
      name: nameSchema.optional(),
      secret: z.string().optional(),
      condition: z.array(conditionSchema).optional(),
      until: z.string().optional(),
      reason: z.string().optional(),
      json: z.boolean(),
      _: z
        .array(z.string())
        .min(1, `needs a subcommand: ${SUBCOMMANDS.join(', ')}`)
        .max(2, 'takes at most one argument after the subcommand'),
    })
    .superRefine((a, ctx) => {
      const [sub, arg] = a._ as [string, string | undefined];
      const issue = (message: string) => ctx.addIssue({ code: 'custom', message, path: [] });
      if (!SUBCOMMANDS.includes(sub as Subcommand))
        return issue(`alerts: unknown subcommand "${sub}"; use one of ${SUBCOMMANDS.join(', ')}`);
      const takes = (...options: (keyof typeof a)[]) => {
        for (const o of ['name', 'secret', 'condition', 'until', 'reason'] as const) {
          if (a[o] !== undefined && !options.includes(o)) issue(`--${o} does not go with ${sub}`);
        }
        if (a.json && !options.includes('json')) issue(`--json does not go with ${sub}`);
      };
      if (isAdd(sub)) {
        takes('name', 'condition', ...(sub === 'add-webhook' ? (['secret'] as const) : []));
        if (!arg) issue(`${sub} needs the ${sub === 'add-email' ? 'ADDRESS' : 'URL'}`);
        if (!a.name) issue(`--name NAME is required to add a channel`);
      } else if (sub === 'list' || sub === 'incidents') {
        takes('json');
        if (arg !== undefined) issue(`${sub} takes no argument`);
      } else if (sub === 'remove' || sub === 'test') {
        takes();
        if (!arg || !nameSchema.safeParse(arg).success) issue(`${sub} needs the NAME of a channel`);
      } else if (sub === 'mute') {
        takes('until', 'reason', 'condition');
        if (arg !== undefined) issue('mute takes no argument; give the time with --until');
        if (!a.until) issue('--until ISO is required to mute (e.g. 2030-01-31T18:00:00Z)');
        else if (Number.isNaN(Date.parse(a.until)) || !/^\d{4}-\d{2}-\d{2}/.test(a.until)) issue('--until must be an ISO date and time');
        if (!a.reason?.trim()) issue('--reason TEXT is required to mute');
      } else if (sub === 'unmute') {
        takes();
        if (!arg || !/^[1-9]\d{0,9}$/.test(arg) || Number(arg) > 2_147_483_647) issue('unmute needs the ID of a maintenance window');
      }
    }),
  async run(args, io, db) {
    const [sub, arg] = args._ as [Subcommand, string | undefined];
    try {
      if (isAdd(sub)) {
        const input = { kind: ADD[sub], name: args.name!, target: arg!, secret: args.secret ?? null, conditions: args.condition ?? [] };
        const parsed = await addChannelSchema.safeParseAsync(input);
        if (!parsed.success) return invalid(io, parsed.error);
        const channel = await addChannel(db, parsed.data, CLI_ACTOR);
        io.out(`Added ${channel.kind} channel ${channel.name}: ${channel.target} (${describeConditions(channel.conditions)}).`);
        return EXIT.OK;
      }
      if (sub === 'list') return list(io, db, args.json);
      if (sub === 'remove') {
        await removeChannel(db, arg!, CLI_ACTOR);
        io.out(`Removed channel ${arg}; nothing more is sent to it.`);
        return EXIT.OK;
      }
      if (sub === 'test') return test(io, db, arg!);
      if (sub === 'mute') {
        const parsed = await maintenanceSchema.safeParseAsync({ until: args.until, conditions: args.condition ?? [], reason: args.reason });
        if (!parsed.success) return invalid(io, parsed.error);
        const w = await addMaintenanceWindow(db, parsed.data, CLI_ACTOR);
        io.out(`Muted ${describeConditions(w.conditions)} until ${stamp(w.endsAt)} (maintenance window #${w.id}): ${w.reason}`);
        io.out('Incidents still open and are recorded; their notifications wait until the window ends.');
        return EXIT.OK;
      }
      if (sub === 'unmute') {
        const w = await endMaintenanceWindow(db, Number(arg), CLI_ACTOR);
        io.out(`Ended maintenance window #${w.id}; notifications are sent again.`);
        return EXIT.OK;
      }
      return incidents(io, db, args.json);
    } catch (err) {
      if (isSyncError(err)) {
        io.err(`syncwatch alerts: ${err.message}`);
        return err.code === 'VALIDATION' ? EXIT.USAGE : EXIT.FAILURE;
      }
      throw err;
    }
  },
});

/** A refused input, by field and sentence only: never the value (a URL may hold a token). */
function invalid(io: CliIO, error: z.ZodError): number {
  const issues = error.issues.map((i) => `${i.path.length ? `${i.path.join('.')}: ` : ''}${i.message}`);
  io.err(`syncwatch alerts: invalid input. ${issues.join('; ')}`);
  return EXIT.USAGE;
}

function describeConditions(conditions: readonly IncidentCondition[]): string {
  return conditions.length ? conditions.map((c) => CONDITION_LABELS[c]).join(', ') : 'all conditions';
}

function lastDelivery(c: ChannelView, now: Date): string {
  const d = c.lastDelivery;
  if (!d) return '-';
  if (d.ok) return `delivered ${ago(d.at, now)}`;
  if (d.pending) return `retrying: ${d.status ?? d.error ?? 'no answer'}, ${d.attempts} attempt${d.attempts === 1 ? '' : 's'} so far`;
  return `failed: ${d.status ?? d.error ?? 'no answer'}, ${d.attempts} attempt${d.attempts === 1 ? '' : 's'} (${ago(d.at, now)})`;
}

async function list(io: CliIO, db: Db, json: boolean): Promise<number> {
  const now = io.now();
  printList(io.out, await listChannels(db), {
    json,
    empty: 'No notification channels yet. Add one with: syncwatch alerts add-webhook URL --name NAME',
    headers: ['NAME', 'KIND', 'TARGET', 'SIGNED', 'CONDITIONS', 'LAST DELIVERY'],
    row: (c) => [
      c.name,
      c.kind,
      c.target,
      c.hasSecret ? 'yes' : 'no',
      c.conditions.length ? c.conditions.join(',') : 'all',
      lastDelivery(c, now),
    ],
  });
  return EXIT.OK;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Queues a TEST delivery and delivers it from this process (no app may be running), until it is
 * delivered or failed or TEST_WAIT_MS have passed. A running app's worker may send it first:
 * the outbox claims each delivery once, so it is still sent once.
 */
async function test(io: CliIO, db: Db, name: string): Promise<number> {
  const { deliveryId } = await sendTestNotification(db, name, CLI_ACTOR);
  io.err(`Queued test notification ${deliveryId} to ${name}; delivering...`);
  const options = deliveryOptionsFromEnv();
  const deadline = Date.now() + TEST_WAIT_MS;
  let last = await getDelivery(db, deliveryId);
  while (Date.now() < deadline) {
    await runDeliveries(db, options);
    last = await getDelivery(db, deliveryId);
    if (!last || last.deliveredAt || last.failedAt) break;
    await sleep(TEST_POLL_MS);
  }
  const attempts = last ? `${last.attempts} attempt${last.attempts === 1 ? '' : 's'}` : '';
  if (last?.deliveredAt) {
    io.out(`Test delivered to ${name}${last.lastStatus ? ` (${last.lastStatus})` : ''}, ${attempts}.`);
    return EXIT.OK;
  }
  const why = last?.lastStatus ?? last?.lastError ?? 'no answer';
  if (last?.failedAt) io.err(`syncwatch alerts: test to ${name} failed: ${why}, ${attempts}.`);
  else if (last && last.attempts > 0) {
    io.err(`syncwatch alerts: test to ${name} not delivered within ${TEST_WAIT_MS / 1000} s: ${why}, ${attempts}; the app retries it.`);
  } else io.err(`syncwatch alerts: test to ${name} was not sent within ${TEST_WAIT_MS / 1000} s.`);
  return EXIT.FAILURE;
}

async function incidents(io: CliIO, db: Db, json: boolean): Promise<number> {
  printList(io.out, await listOpenIncidents(db), {
    json,
    empty: 'No open incidents.',
    headers: ['ID', 'CONDITION', 'SUBJECT', 'OPENED', 'FOR', 'ACKNOWLEDGED', 'SUMMARY'],
    row: (i) => [
      i.id,
      i.condition,
      i.subject || '-',
      stamp(i.openedAt),
      duration(i.durationMs),
      i.acknowledgedAt ? `by ${i.acknowledgedBy ?? '?'}` : i.muted ? 'no (muted)' : 'no',
      i.summary,
    ],
  });
  return EXIT.OK;
}
