import type { ReactNode } from 'react';
import { JobStatus } from '@/components/jobs/job-status';
import { LocalTime } from '@/components/ui/local-time';
import type { DashboardData } from '@/lib/data/dto';
import { formatDuration, formatInt, formatRate } from '@/lib/format';
import { DesyncKind, KIND_LABELS, REPAIRABLE_KINDS, type ForeignWrites } from '@/lib/vocabulary';

function slug(label: string) {
  return label.toLowerCase().replace(/[^a-z0-9]+/g, '-');
}

/** One labelled figure; the figure's accessible name is its label. */
export function Figure({ label, children, tone }: { label: string; children: ReactNode; tone?: 'ok' | 'warn' | 'bad' }) {
  const id = `figure-${slug(label)}`;
  return (
    <figure className={`figure${tone ? ` tone-${tone}` : ''}`} aria-labelledby={id} data-figure={slug(label)}>
      <figcaption id={id} className="figure-label">
        {label}
      </figcaption>
      {children}
    </figure>
  );
}

/** FOREIGN_WRITES: what the database does at the commit of a foreign write that leaves a pair out of sync. */
const FOREIGN_WRITE_MODES: Record<ForeignWrites, { word: string; effect: string }> = {
  OBSERVE: { word: 'observe', effect: 'Recorded, and their desyncs listed; nothing is changed.' },
  HEAL: { word: 'heal', effect: 'Completed at commit where the repair policy can: the license follows the progress written.' },
  ENFORCE: { word: 'enforce', effect: 'Refused at commit if they would leave a pair out of sync, unless they opt out (recorded).' },
};

const ORPHAN_KINDS = [DesyncKind.ORPHAN_PROGRESS, DesyncKind.ORPHAN_LICENSE] as const;

/** Counts of some desync kinds, one labelled row each. */
function KindCounts({ kinds, byKind }: { kinds: readonly DesyncKind[]; byKind: Partial<Record<DesyncKind, number>> }) {
  return (
    <dl className="kind-list">
      {kinds.map((k) => (
        <div key={k} data-kind={k}>
          <dt title={k}>{KIND_LABELS[k]}</dt>
          <dd className="num">{formatInt(byKind[k] ?? 0)}</dd>
        </div>
      ))}
    </dl>
  );
}

export function DashboardFigures({ data }: { data: DashboardData }) {
  const h = data.latest;
  const desyncs = h ? REPAIRABLE_KINDS.reduce((sum, k) => sum + (h.byKind[k] ?? 0), 0) : null;
  const rateTone = h ? (h.consistencyRate * 100 >= data.targetPercent ? 'ok' : 'bad') : undefined;
  const job = data.lastJob;
  const health = data.jobHealth;
  // NEVER_RUN is not late yet (getJobHealth turns it OVERDUE once its deadline passes).
  const overdue = health ? health.state === 'OVERDUE' : null;
  const audit = data.lastAudit;
  const drift = audit?.drift ?? 0;
  const mode = FOREIGN_WRITE_MODES[data.foreignWrites];

  return (
    <div className="figures">
      <Figure label="Consistency rate" tone={rateTone}>
        <p className="figure-value num" data-value={h ? h.consistencyRate : ''}>
          {h ? formatRate(h.consistencyRate, h.consistentPairs, h.totalPairs) : '—'}
        </p>
        <p className="figure-sub">
          {h ? (
            <>
              {formatInt(h.consistentPairs)} of {formatInt(h.totalPairs)} pairs consistent · target {data.targetPercent}%
            </>
          ) : (
            'No health check has run yet.'
          )}
        </p>
      </Figure>

      <Figure label="Pairs checked">
        <p className="figure-value num">{h ? formatInt(h.totalPairs) : '—'}</p>
      </Figure>

      <Figure label="Desyncs" tone={desyncs ? 'warn' : desyncs === 0 ? 'ok' : undefined}>
        <p className="figure-value num">{formatInt(desyncs)}</p>
        {h ? <KindCounts kinds={REPAIRABLE_KINDS} byKind={h.byKind} /> : null}
      </Figure>

      <Figure label="Orphans">
        <p className="figure-value num">{h ? formatInt(h.orphans) : '—'}</p>
        {h ? <KindCounts kinds={ORPHAN_KINDS} byKind={h.byKind} /> : null}
        <p className="figure-sub">Reported, never deleted automatically.</p>
      </Figure>

      <Figure label="Last full audit" tone={audit ? (drift > 0 ? 'bad' : 'ok') : undefined}>
        <p className="figure-value figure-time">{audit ? <LocalTime iso={audit.checkedAt} relative /> : 'Never'}</p>
        {audit ? (
          <p className="figure-sub" data-drift={drift}>
            <span className={drift > 0 ? 'text-bad' : undefined}>
              Drift <span className="num">{formatInt(drift)}</span>
            </span>{' '}
            · took {formatDuration(audit.durationMs)}
          </p>
        ) : (
          <p className="figure-sub">The figures are kept at every commit; the audit checks them against the tables.</p>
        )}
      </Figure>

      <Figure label="Foreign writes">
        <p className="figure-value" data-value={data.foreignWrites}>
          {mode.word}
        </p>
        <p className="figure-sub">{mode.effect}</p>
      </Figure>

      <Figure label="Last sync job">
        {job ? (
          <>
            <p className="figure-value">
              <JobStatus status={job.status} /> <span className="figure-inline num">{formatDuration(job.durationMs)}</span>
            </p>
            <p className="figure-sub">
              <span className="num">{formatInt(job.found)}</span> found · <span className="num">{formatInt(job.synced)}</span> synced ·{' '}
              <span className="num">{formatInt(job.failed)}</span> failed
            </p>
            <p className="figure-sub">
              {job.trigger} by {job.actor}, <LocalTime iso={job.finishedAt ?? job.startedAt} relative />
            </p>
          </>
        ) : (
          <p className="figure-value">None yet</p>
        )}
      </Figure>

      <Figure label="Next scheduled sync">
        <p className="figure-value figure-time">{health?.nextSyncAt ? <LocalTime iso={health.nextSyncAt} relative /> : 'Not scheduled'}</p>
      </Figure>

      <Figure label="Job health" tone={overdue === null ? undefined : overdue ? 'bad' : 'ok'}>
        <p className="figure-value">{overdue === null ? 'Unknown' : overdue ? 'Overdue' : 'On schedule'}</p>
        <p className="figure-sub">
          {health?.lastSuccessAt ? (
            <>
              Last successful sync <LocalTime iso={health.lastSuccessAt} relative />
            </>
          ) : health ? (
            'No sync has finished yet.'
          ) : (
            'The schedule could not be read.'
          )}
        </p>
      </Figure>
    </div>
  );
}
