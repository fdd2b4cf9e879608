/**
 * The operator CLI: `npm run syncwatch -- <command>` or the `syncwatch` bin. It uses the same
 * lib/ functions as the app, and the same database as `npm start` (DATABASE_URL, or the
 * embedded PostgreSQL under EMBEDDED_PG_DIR when it is unset). Commands live in scripts/cli/commands/.
 *
 * Exit codes: 0 success/healthy, 1 unhealthy or failed, 2 bad usage or a sync job already running.
 */
import { parseArgs } from 'node:util';
import { createDb } from '../lib/db/prisma';
import { env } from '../lib/env';
import { logToStderr } from '../lib/log';
import { isSyncError } from '../lib/sync/errors';
import { COMMANDS } from './cli/commands';
import { EXIT, type CliCommand, type CliIO } from './cli/types';
import { withDatabase } from './lib/database';

const io: CliIO = {
  out: (line = '') => process.stdout.write(`${line}\n`),
  err: (line = '') => process.stderr.write(`${line}\n`),
  interactive: Boolean(process.stderr.isTTY),
  now: () => new Date(),
};

function usage(): string {
  const width = Math.max(...COMMANDS.map((c) => c.usage.length));
  return [
    'Usage: syncwatch <command> [options]     (or: npm run syncwatch -- <command> [options])',
    '',
    'Commands:',
    ...COMMANDS.map((c) => `  ${c.usage.padEnd(width)}   ${c.summary}`),
    '',
    'Run `syncwatch <command> --help` for its options.',
    'Database: DATABASE_URL, or the embedded PostgreSQL (EMBEDDED_PG_DIR, EMBEDDED_PG_PORT) when unset.',
    'Exit codes: 0 ok/healthy, 1 unhealthy or failed, 2 bad usage or a sync job already running.',
  ].join('\n');
}

function commandUsage(c: CliCommand): string {
  return [
    `Usage: syncwatch ${c.usage}`,
    '',
    c.summary + '.',
    ...(c.details.length ? ['', ...c.details.map((d) => (d ? `  ${d}` : ''))] : []),
  ].join('\n');
}

/** Parses and validates a command's arguments; a readable message on failure. */
function parseCommandArgs(c: CliCommand, argv: string[]): { ok: true; args: unknown } | { ok: false; message: string } {
  let parsed;
  try {
    parsed = parseArgs({ args: argv, options: c.options, strict: true, allowPositionals: true });
  } catch (err) {
    return { ok: false, message: (err as Error).message.split('\n')[0]! };
  }
  const result = c.schema.safeParse({ ...parsed.values, _: parsed.positionals });
  if (!result.success) {
    const message = result.error.issues
      .map((i) => {
        const key = i.path.join('.');
        return key === '_' ? `${c.name} ${i.message}` : key && !i.message.startsWith('--') ? `--${key} ${i.message}` : i.message;
      })
      .join('; ');
    return { ok: false, message };
  }
  return { ok: true, args: result.data };
}

async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    (name ? io.out : io.err)(usage());
    return name ? EXIT.OK : EXIT.USAGE;
  }
  const command = COMMANDS.find((c) => c.name === name);
  if (!command) {
    io.err(`syncwatch: unknown command "${name}".\n`);
    io.err(usage());
    return EXIT.USAGE;
  }
  if (rest.includes('--help') || rest.includes('-h')) {
    io.out(commandUsage(command));
    return EXIT.OK;
  }
  const parsed = parseCommandArgs(command, rest);
  if (!parsed.ok) {
    io.err(`syncwatch ${command.name}: ${parsed.message}\n`);
    io.err(commandUsage(command));
    return EXIT.USAGE;
  }
  return withDatabase(async ({ url }) => {
    const db = createDb(url, { poolSize: env().DATABASE_POOL_SIZE });
    try {
      return await command.run(parsed.args, io, db);
    } catch (err) {
      io.err(`syncwatch ${command.name}: ${describe(err)}`);
      // Another job holds the slot, or the engine refused the input: as documented, exit 2.
      if (isSyncError(err, 'ALREADY_RUNNING') || isSyncError(err, 'VALIDATION')) return EXIT.USAGE;
      return EXIT.FAILURE;
    } finally {
      await db.$disconnect();
    }
  });
}

function describe(err: unknown): string {
  const e = err as { code?: string; message?: string };
  if (e?.code === 'P2021' || /relation .* does not exist/i.test(e?.message ?? '')) {
    return (
      'the database has no SyncWatch tables yet. Apply the migrations first: `npm run db:migrate` (on DATABASE_URL), ' +
      'or start `npm run serve` once; for the demo, `npm start`.'
    );
  }
  return (e?.message ?? String(err)).split('\n').filter(Boolean).at(-1) ?? 'unexpected error';
}

// The CLI's stdout is its output (tables, --json); the engine's log lines go to stderr.
logToStderr();
const code = await main(process.argv.slice(2));
process.exitCode = code;
// The pool and the embedded server are closed; exit now rather than wait for stray timers.
process.exit(code);
