/**
 * npm run bench -- [--pairs 10000|100000|1000000|10000000] [--runs N] [--chart] [--skip-server]
 *
 * Measures SyncWatch against PostgreSQL's own limit on this machine: the suite is
 * tooling/bench/suite.ts, one module per measured figure beside it. Prints a table, writes
 * bench/results/<date>-<pairs>.json and, with --chart, a PNG. Benchmarks measure; they assert
 * nothing (npm test never runs this).
 */
import { parseArgs } from 'node:util';
import { z } from 'zod';
import { runBenchSuite } from '../tooling/bench/suite';
import { exitOnKnownError } from './lib/database';

const HELP = `Usage: npm run bench -- [options]

Measures SyncWatch at scale beside hand-written SQL doing the same work, and detection at commit
with its triggers on and off.

Options:
  --pairs N       data set size: 10000, 100000 (default), 1000000 or 10000000 learner pairs
                  (10000000: detection and writes only, ~4 GB of disk; the 1,000,000-pair database
                  of an earlier run, when still there, is measured beside it)
  --runs N        measured runs per figure, median reported, after one warm-up (default 5)
  --chart         also render bench/results/<date>-<pairs>.png (no browser needed)
  --skip-server   skip what needs the production server (dashboard load, write API, the event
                  stream's freshness, RSS)
  --help          this text

Database: a database of its own, syncwatch_bench_<pairs>, on DATABASE_URL's server or the
embedded PostgreSQL (EMBEDDED_PG_DIR, EMBEDDED_PG_PORT); dropped and rebuilt on every run, kept
after it. docs/performance.md has the durations on 2 cores.`;

const argsSchema = z.object({
  pairs: z
    .enum(['10000', '100000', '1000000', '10000000'], { error: '--pairs must be 10000, 100000, 1000000 or 10000000' })
    .default('100000')
    .transform(Number),
  runs: z.coerce.number({ error: '--runs must be a whole number' }).int().min(1).max(50).default(5),
  chart: z.boolean().default(false),
  'skip-server': z.boolean().default(false),
  help: z.boolean().default(false),
});

function parseCli() {
  let values;
  try {
    ({ values } = parseArgs({
      options: {
        pairs: { type: 'string' },
        runs: { type: 'string' },
        chart: { type: 'boolean' },
        'skip-server': { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
      strict: true,
    }));
  } catch (err) {
    console.error(`bench: ${(err as Error).message}\n\n${HELP}`);
    process.exit(2);
  }
  const parsed = argsSchema.safeParse(values);
  if (!parsed.success) {
    console.error(`bench: ${parsed.error.issues.map((i) => i.message).join('; ')}\n\n${HELP}`);
    process.exit(2);
  }
  return parsed.data;
}

const KNOWN_ERRORS = ['ConfigError', 'DatabaseStartError', 'DatabaseConnectError'];

const args = parseCli();
if (args.help) console.log(HELP);
else {
  await runBenchSuite({ pairs: args.pairs, runs: args.runs, chart: args.chart, skipServer: args['skip-server'] }).catch((err) => {
    if (KNOWN_ERRORS.includes((err as Error)?.name)) exitOnKnownError(err);
    console.error(`bench: ${(err as Error)?.stack ?? err}`);
    process.exit(1);
  });
}
