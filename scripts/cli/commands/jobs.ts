import { z } from 'zod';
import { listSyncJobs } from '../../../lib/sync';
import { duration, int, stamp, table } from '../format';
import { defineCommand, EXIT } from '../types';

export const jobsCommand = defineCommand({
  name: 'jobs',
  summary: 'List recent sync jobs, newest first',
  usage: 'jobs [--limit N] [--json]',
  details: ['--limit N   how many (1-500, default 20)', '--json      print them as JSON'],
  options: { limit: { type: 'string' }, json: { type: 'boolean', default: false } },
  schema: z.strictObject({
    limit: z.coerce
      .number({ error: '--limit must be a number' })
      .int('--limit must be a whole number')
      .min(1, '--limit must be at least 1')
      .max(500, '--limit must be at most 500')
      .default(20),
    json: z.boolean(),
    _: z.array(z.string()).max(0, 'takes no arguments'),
  }),
  async run(args, io, db) {
    const { items, total } = await listSyncJobs(db, { limit: args.limit });
    if (args.json) {
      io.out(JSON.stringify({ total, items }, null, 2));
      return EXIT.OK;
    }
    if (!items.length) {
      io.out('No sync jobs yet.');
      return EXIT.OK;
    }
    io.out(
      table(
        ['ID', 'STATUS', 'TRIGGER', 'ACTOR', 'STARTED', 'DURATION', 'FOUND', 'SYNCED', 'FAILED', 'REPORTED'],
        items.map((j) => [
          j.id,
          j.status,
          j.trigger,
          j.actor,
          stamp(j.startedAt),
          j.status === 'RUNNING' ? `running, ${int(j.done)}/${int(j.total)}` : duration(j.durationMs),
          int(j.found),
          int(j.synced),
          int(j.failed),
          int(j.reported),
        ]),
        { alignRight: [0, 6, 7, 8, 9] },
      ),
    );
    if (total > items.length) io.out(`(${int(items.length)} of ${int(total)}; use --limit to see more)`);
    return EXIT.OK;
  },
});
