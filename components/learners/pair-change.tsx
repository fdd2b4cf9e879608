import type { ReactNode } from 'react';
import { LocalTime } from '@/components/ui/local-time';
import { formatInt } from '@/lib/format';
import type { PairChange } from '@/lib/sync/history';
import { KIND_LABELS } from '@/lib/vocabulary';

/** What a pair event did to the pair's verdict: "broke it: Level mismatch", "fixed it", ... */
export function PairEffectText({ change }: { change: PairChange }) {
  const kind = change.kind ? KIND_LABELS[change.kind] : null;
  const text =
    change.effect === 'BROKE'
      ? `broke it: ${kind}`
      : change.effect === 'CHANGED'
        ? `changed it to ${kind}`
        : change.effect === 'FIXED'
          ? 'fixed it'
          : kind
            ? `left it ${kind}`
            : 'left it consistent';
  return (
    <span className={`pair-effect effect-${change.effect.toLowerCase()}`} data-effect={change.effect} data-kind={change.kind ?? undefined}>
      wrote {change.side}, {text}
    </span>
  );
}

/** The writer's connection as the database saw it, for a write SyncWatch did not make. */
export function WriterConnection({ change }: { change: PairChange }) {
  const parts = [
    change.dbUser ? `db user ${change.dbUser}` : null,
    change.applicationName ? `application ${change.applicationName}` : null,
    change.clientAddr ? `from ${change.clientAddr}` : null,
  ].filter((p): p is string => p !== null);
  return parts.length ? <span className="learner-email muted">{parts.join(' · ')}</span> : null;
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const num = (v: unknown) => (typeof v === 'number' ? v : null);

/** A pair event's before or after: the sides written, "progress 2 (1,200 XP, 4 sessions) · license none". */
export function PairEventValue({ value }: { value: unknown }) {
  if (!isObject(value) || (!('progress' in value) && !('license' in value))) return <span className="muted">—</span>;
  const sides: ReactNode[] = [];
  if ('progress' in value) {
    const p = value.progress;
    sides.push(
      isObject(p) ? (
        <span key="progress">
          progress <span className="num">{num(p.level)}</span>{' '}
          <span className="muted">
            ({formatInt(num(p.totalXp))} XP, {formatInt(num(p.completedSessions))} sessions)
          </span>
        </span>
      ) : (
        <span key="progress">progress none</span>
      ),
    );
  }
  if ('license' in value) {
    const l = value.license;
    sides.push(
      isObject(l) ? (
        <span key="license">
          license <span className="num">{num(l.level)}</span>
          {typeof l.startedAt === 'string' ? (
            <span className="muted">
              {' '}
              from <LocalTime iso={l.startedAt} />
            </span>
          ) : null}
        </span>
      ) : (
        <span key="license">license none</span>
      ),
    );
  }
  return <span className="snapshot">{sides.flatMap((s, i) => (i ? [<span key={`sep${i}`}> · </span>, s] : [s]))}</span>;
}
