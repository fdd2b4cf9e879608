import { readFileSync } from 'node:fs';
import path from 'node:path';
import pg from 'pg';
import { createDb } from '../../lib/db/prisma';
import { env } from '../../lib/env';
import { desyncState, reinjectDesyncs, totalDesyncs } from './dataset';
import { openDashboardPage, type SseTarget } from './freshness';
import { log } from './log';
import { target, type TargetResult } from './report';
import { BENCH_APP, type sampleRss } from './server';
import { fmtMs, round, sleep } from './stats';
import { restoreDetection, withNoteTriggers } from './triggers';
import { LEGACY_SMALL_ROWS } from './write-overhead';

/**
 * (7) Mass desync, at 1M pairs only: 10% and then 50% of the pairs out of sync, and what the
 * production server does with it, its RSS sampled all along (the process tree, as for the sync
 * job's figure). The desyncs come from a legacy writer's raw SQL (MASS_BREAK_SQL, triggers on:
 * the judge records each pair in the set at commit), in statements of LEGACY_SMALL_ROWS rows (one
 * statement of 500,000 would overflow the lock table: the judge takes a lock per pair). Then, in
 * the server, as an admin does it (server actions, POSTed as the page posts them):
 *   - the dry run of "Sync now" (previewSyncAction: the counts and the first planned repairs);
 *   - a full audit ("Run full audit", runFullAuditAction);
 *   - the plan of a sync job ("Confirm sync", startSyncJobAction: the job loads every desync it
 *     will repair), cancelled ("Cancel job") once it has recorded what it found.
 * An admin's dashboard stays open meanwhile (openDashboardPage: the event stream, refetches).
 * A step that takes longer than MASS_STEP_LIMIT_MS is abandoned and reported as missed. The
 * data set is put back afterwards (MASS_HEAL_SQL with the note triggers off and a full audit,
 * then the data set's own desyncs).
 */

export const MASS_SHARES = [0.1, 0.5] as const;
export const MASS_STEP_LIMIT_MS = 5 * 60_000;

/** Extra desyncs: even learners (all consistent as built) in [$1, $2] get a license one level off. */
export const MASS_BREAK_SQL = `
  UPDATE user_licenses l SET current_level = CASE WHEN p.current_level = 1 THEN 2 ELSE p.current_level - 1 END
  FROM specialization_progress p
  WHERE p.user_id = l.user_id AND p.specialization_id = l.specialization_id
    AND l.user_id BETWEEN $1 AND $2 AND l.user_id % 2 = 0 AND l.current_level = p.current_level`;

/** Puts them back: the license takes the progress level again (what a repair does, for the pairs a job repaired too). */
export const MASS_HEAL_SQL = `
  UPDATE user_licenses l SET current_level = p.current_level
  FROM specialization_progress p
  WHERE p.user_id = l.user_id AND p.specialization_id = l.specialization_id
    AND l.user_id BETWEEN $1 AND $2 AND l.user_id % 2 = 0 AND l.current_level <> p.current_level`;

type Rss = ReturnType<typeof sampleRss>;

/** A server action's id in the benchmark's production build (its server-reference manifest). */
function actionId(distDir: string, file: string, exportedName: string): string {
  const manifest = JSON.parse(readFileSync(path.join(process.cwd(), distDir, 'server', 'server-reference-manifest.json'), 'utf8')) as {
    node: Record<string, { filename: string; exportedName: string }>;
  };
  const hit = Object.entries(manifest.node).find(([, v]) => v.filename === file && v.exportedName === exportedName);
  if (!hit) throw new Error(`No server action ${exportedName} of ${file} in ${distDir}.`);
  return hit[0];
}

/**
 * POSTs a server action as the page does (Next-Action header, the arguments as JSON) and returns
 * its result: the flight row the answer's first row points at ("a":"$@1").
 */
async function callAction<T>(server: SseTarget, id: string, args: unknown[], timeoutMs: number): Promise<T> {
  const res = await fetch(`${server.baseUrl}/`, {
    method: 'POST',
    headers: {
      cookie: server.cookie,
      'next-action': id,
      'content-type': 'text/plain;charset=UTF-8',
      accept: 'text/x-component',
      origin: server.baseUrl,
    },
    body: JSON.stringify(args),
    signal: AbortSignal.timeout(timeoutMs),
  });
  const text = await res.text();
  if (!res.ok) throw new Error(`the action answered HTTP ${res.status}: ${text.slice(0, 200)}`);
  const rows = new Map(text.split('\n').map((l) => [l.slice(0, l.indexOf(':')), l.slice(l.indexOf(':') + 1)] as const));
  const head = JSON.parse(rows.get('0') ?? '{}') as { a?: string };
  const row = rows.get(head.a?.replace('$@', '') ?? '1');
  if (!row) throw new Error(`no result in the action's answer: ${text.slice(0, 200)}`);
  return JSON.parse(row) as T;
}

type ActionResult<T> = ({ ok: true } & T) | { ok: false; error: { code: string; message: string } };

function unwrap<T>(r: ActionResult<T>): T {
  if (!r.ok) throw new Error(`${r.error.code}: ${r.error.message}`);
  return r;
}

interface Step {
  ms: number;
  /** Over MASS_STEP_LIMIT_MS (abandoned), or failed. */
  missed: boolean;
  error: string | null;
  peakTreeMiB: number;
  peakProcessMiB: number;
  detail: string;
}

/** Runs one step with the limit; its time and the server's RSS peak over it. */
async function step(rss: Rss, name: string, fn: () => Promise<string>): Promise<Step> {
  const from = Date.now();
  const t = performance.now();
  let detail = '';
  let error: string | null = null;
  try {
    detail = await fn();
  } catch (err) {
    const e = err as Error;
    error = e.name === 'TimeoutError' ? `over ${fmtMs(MASS_STEP_LIMIT_MS)}` : e.message;
  }
  const ms = performance.now() - t;
  await sleep(250); // a sample after the end
  const peak = rss.peakMiB(from, Date.now());
  log(`    ${name}: ${error ? `MISSED (${error})` : detail} in ${fmtMs(ms)}; server RSS peak ${peak.tree.toFixed(0)} MiB`);
  return {
    ms: round(ms),
    missed: error !== null,
    error,
    peakTreeMiB: round(peak.tree),
    peakProcessMiB: round(peak.process),
    detail,
  };
}

/** `sql` on even learners [2, hi] in statements of about LEGACY_SMALL_ROWS rows each; rows changed and ms. */
async function inChunks(w: pg.Client, sql: string, from: number, hi: number) {
  let rows = 0;
  let statements = 0;
  const t = performance.now();
  for (let lo = from; lo <= hi; lo += 2 * LEGACY_SMALL_ROWS) {
    const r = await w.query(sql, [lo, Math.min(hi, lo + 2 * LEGACY_SMALL_ROWS - 1)]);
    rows += r.rowCount ?? 0;
    statements++;
  }
  return { rows, statements, ms: performance.now() - t };
}

export async function measureMassDesync(opts: {
  c: pg.Client;
  url: string;
  pairs: number;
  server: SseTarget;
  rss: Rss;
  /** The build the server runs (its action ids); the benchmark's by default. */
  distDir?: string;
}) {
  const { c, url, pairs, server, rss } = opts;
  const dir = opts.distDir ?? BENCH_APP.distDir;
  const ids = {
    preview: actionId(dir, 'lib/actions/preview-sync.ts', 'previewSyncAction'),
    audit: actionId(dir, 'lib/actions/run-full-audit.ts', 'runFullAuditAction'),
    start: actionId(dir, 'lib/actions/start-sync-job.ts', 'startSyncJobAction'),
    cancel: actionId(dir, 'lib/actions/cancel-sync-job.ts', 'cancelSyncJobAction'),
  };
  const standard = totalDesyncs(pairs);
  const writer = new pg.Client({ connectionString: url, application_name: 'bench-mass-writer' });
  await writer.connect();
  const page = openDashboardPage(server, env().DASHBOARD_POLL_SECONDS);
  await page.ready;
  log(
    `  an admin's dashboard open on the server (event stream, refetches); server RSS ${rss.peakMiB(Date.now() - 1000).tree.toFixed(0)} MiB`,
  );
  const shares = [];
  let hi = 0;
  try {
    for (const share of MASS_SHARES) {
      const expected = Math.round(share * pairs);
      const from = Date.now();
      const idle = rss.peakMiB(from - 2000, from);
      log(`  ${Math.round(share * 100)}% desynced (${expected.toLocaleString('en-US')} pairs):`);
      // The data set's own desyncs (a job of the previous share may have repaired some), then
      // even learners up to `hi` for the rest.
      await reinjectDesyncs(c, pairs);
      const nextHi = 2 * (expected - standard);
      let broke = { rows: 0, statements: 0, ms: 0 };
      const detect = await step(rss, 'the set (raw SQL at commit, judged by the triggers)', async () => {
        broke = await inChunks(writer, MASS_BREAK_SQL, 2, nextHi);
        const state = await desyncState(c);
        if (state.set !== expected || state.tables !== expected) {
          throw new Error(`${state.tables} desyncs in the tables, ${state.set} in the set, expected ${expected}`);
        }
        return `${broke.rows.toLocaleString('en-US')} licenses changed by ${broke.statements} statements (${fmtMs(broke.ms)})`;
      });
      hi = Math.max(hi, nextHi);
      const dryRun = await step(rss, 'dry run (previewSyncAction)', async () => {
        const r = unwrap(await callAction<ActionResult<{ preview: { found: number } }>>(server, ids.preview, [], MASS_STEP_LIMIT_MS));
        if (r.preview.found !== expected) throw new Error(`the dry run found ${r.preview.found}, expected ${expected}`);
        return `found ${r.preview.found.toLocaleString('en-US')}`;
      });
      const audit = await step(rss, 'full audit (runFullAuditAction)', async () => {
        const r = unwrap(
          await callAction<ActionResult<{ health: { totalPairs: number; consistentPairs: number; drift: number | null } }>>(
            server,
            ids.audit,
            [],
            MASS_STEP_LIMIT_MS,
          ),
        );
        const found = r.health.totalPairs - r.health.consistentPairs;
        if (found !== expected) throw new Error(`the audit counts ${found} desyncs, expected ${expected}`);
        return `${found.toLocaleString('en-US')} desyncs, drift ${r.health.drift}`;
      });
      let repairedBeforeCancel = 0;
      const plan = await step(rss, 'sync job plan (startSyncJobAction, cancelled once planned)', async () => {
        const started = performance.now();
        const r = unwrap(await callAction<ActionResult<{ job: { id: number } }>>(server, ids.start, [], MASS_STEP_LIMIT_MS));
        const jobId = r.job.id;
        let found: number | null = null;
        let status = 'RUNNING';
        while (found === null && status === 'RUNNING') {
          if (performance.now() - started > MASS_STEP_LIMIT_MS) {
            await callAction(server, ids.cancel, [{ jobId }], 60_000).catch(() => {});
            throw Object.assign(new Error('timeout'), { name: 'TimeoutError' });
          }
          await sleep(50);
          // The job records what it found, then its SYNC_JOB_STARTED audit line: the plan is done.
          const { rows } = await c.query<{ found: number; status: string; planned: boolean }>(
            `SELECT found, status,
                    EXISTS (SELECT 1 FROM audit_events a WHERE a.sync_job_id = j.id AND a.action = 'SYNC_JOB_STARTED') AS planned
             FROM sync_jobs j WHERE id = $1`,
            [jobId],
          );
          if (rows[0]?.planned) found = rows[0].found;
          status = rows[0]?.status ?? 'GONE';
        }
        const plannedMs = performance.now() - started;
        const cancel = await callAction<ActionResult<{ job: unknown }>>(server, ids.cancel, [{ jobId }], 60_000);
        // The job stops at its next batch: wait until its items stop growing.
        let last = -1;
        for (let i = 0; i < 300; i++) {
          const { rows } = await c.query<{ n: number }>('SELECT count(*)::int AS n FROM sync_job_items WHERE job_id = $1', [jobId]);
          if (rows[0]!.n === last) break;
          last = rows[0]!.n;
          await sleep(500);
        }
        repairedBeforeCancel = last;
        if (found !== expected) throw new Error(`job #${jobId} found ${found} (${status}), expected ${expected}`);
        const ended = cancel.ok ? 'cancelled' : `not cancelled (${cancel.error.code}: it had ended)`;
        return `job #${jobId} planned ${found.toLocaleString('en-US')} in ${fmtMs(plannedMs)}, ${ended} after ${last} items`;
      });
      const peak = rss.peakMiB(from, Date.now());
      shares.push({
        share,
        desyncs: expected,
        beforeTreeMiB: round(idle.tree),
        peakTreeMiB: round(peak.tree),
        peakProcessMiB: round(peak.process),
        missed: [detect, dryRun, audit, plan].some((s) => s.missed),
        licensesChanged: broke.rows,
        statements: broke.statements,
        steps: { detect: { ...detect, ms: round(broke.ms) }, dryRun, audit, plan },
        repairedBeforeCancel,
      });
      log(`    ${Math.round(share * 100)}%: server RSS peak ${peak.tree.toFixed(0)} MiB (${idle.tree.toFixed(0)} MiB before)`);
    }
  } finally {
    page.close();
    await writer.end();
    // Put back (untimed for the figures), in about half the time of the judge at each commit:
    // the licenses in one statement with the note triggers off, a full audit that removes their
    // entries from the set, then the data set's own desyncs.
    const t = performance.now();
    const healed = await withNoteTriggers(c, false, () => c.query(MASS_HEAL_SQL, [2, hi]));
    const db = createDb(url, { poolSize: 2 });
    try {
      await restoreDetection(db, c, 'the mass desync');
    } finally {
      await db.$disconnect();
    }
    await reinjectDesyncs(c, pairs);
    const state = await desyncState(c);
    log(
      `  put back: ${(healed.rowCount ?? 0).toLocaleString('en-US')} licenses in ${fmtMs(performance.now() - t)}; ` +
        `${state.tables} desyncs in the tables, ${state.set} in the set (expected ${standard})`,
    );
    if (state.tables !== standard || state.set !== standard) log('  warning: the data set is not as built after the mass desync');
  }
  const stats = page.stats();
  return { pairs, shares, stepLimitMs: MASS_STEP_LIMIT_MS, pageFetches: stats.fetches, pageFailedFetches: stats.failures };
}

export type MassDesyncFigures = Awaited<ReturnType<typeof measureMassDesync>>;

/** The section's targets (1M only): the server's RSS peak at each share, missed too when a step missed. */
export function massTargets(m: MassDesyncFigures | null, pairs: number): TargetResult[] {
  if (pairs !== 1_000_000) return [];
  return MASS_SHARES.map((share) => {
    const s = m?.shares.find((x) => x.share === share);
    const pct = Math.round(share * 100);
    const t = target(`massRss${pct}`, `Server RSS, ${pct}% desynced (set, dry run, audit, job plan)`, s?.peakTreeMiB, 'MiB', 'atMost', 600);
    const missed = s ? Object.entries(s.steps).filter(([, st]) => st.missed) : [];
    return missed.length ? { ...t, label: `${t.label}; missed: ${missed.map(([k, st]) => `${k} ${st.error}`).join(', ')}`, met: false } : t;
  });
}

/** The section's rows: the steps' times and the server's RSS at each share. */
export function massRows(m: MassDesyncFigures): string[][] {
  return m.shares.map((s) => {
    const { detect, dryRun, audit, plan } = s.steps;
    return [
      `Mass desync, ${Math.round(s.share * 100)}% of pairs (${s.desyncs.toLocaleString('en-US')}): the set / dry run / audit / job plan`,
      [detect, dryRun, audit, plan].map((st) => (st.missed ? `MISSED (${st.error})` : fmtMs(st.ms))).join(' / '),
      `server RSS peak ${s.peakTreeMiB} MiB (before ${s.beforeTreeMiB} MiB)`,
      '',
    ];
  });
}
