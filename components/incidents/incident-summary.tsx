import { LocalTime } from '@/components/ui/local-time';
import type { IncidentDetail } from '@/lib/alerts';
import { incidentLabel } from '@/lib/data/alerts';
import { formatDuration } from '@/lib/format';
import { FiguresList } from './figures-list';
import { IncidentState } from './incident-state';

/** One incident's facts: what holds, since when, who acknowledged it, and the figures it opened and resolved with. */
export function IncidentSummaryCard({ incident: i }: { incident: IncidentDetail }) {
  return (
    <section className="card" aria-labelledby="incident-summary-title">
      <h2 id="incident-summary-title" className="sr-only">
        Summary
      </h2>
      <dl className="summary-grid">
        <div>
          <dt>Condition</dt>
          <dd>{incidentLabel(i)}</dd>
        </div>
        <div>
          <dt>State</dt>
          <dd>
            <IncidentState incident={i} />
          </dd>
        </div>
        <div>
          <dt>Opened</dt>
          <dd>
            <LocalTime iso={i.openedAt.toISOString()} relative />
          </dd>
        </div>
        <div>
          <dt>Resolved</dt>
          <dd>{i.resolvedAt ? <LocalTime iso={i.resolvedAt.toISOString()} /> : 'Still open'}</dd>
        </div>
        <div>
          <dt>Duration</dt>
          <dd className="num">{formatDuration(i.durationMs)}</dd>
        </div>
        <div>
          <dt>Acknowledged</dt>
          <dd>
            {i.acknowledgedAt ? (
              <>
                by {i.acknowledgedBy ?? 'someone'}, <LocalTime iso={i.acknowledgedAt.toISOString()} />
              </>
            ) : (
              <span className="muted">not yet</span>
            )}
          </dd>
        </div>
        <div className="wide">
          <dt>What triggered it</dt>
          <dd>{i.summary}</dd>
        </div>
        {i.ackNote ? (
          <div className="wide">
            <dt>Note</dt>
            <dd className="reason">{i.ackNote}</dd>
          </div>
        ) : null}
        <div className="wide">
          <dt>Opened with</dt>
          <dd>
            <FiguresList figures={i.openedFigures} label="Figures when opened" />
          </dd>
        </div>
        {i.resolvedFigures ? (
          <div className="wide">
            <dt>Resolved with</dt>
            <dd>
              <FiguresList figures={i.resolvedFigures} label="Figures when resolved" />
            </dd>
          </div>
        ) : null}
      </dl>
    </section>
  );
}
