import type { ReactNode } from 'react';
import { LocalTime } from '@/components/ui/local-time';
import { formatInt } from '@/lib/format';
import type { LearnerPair } from '@/lib/sync';
import { ConsistencyStatus } from './consistency';
import styles from './learners.module.css';
import { PairForms } from './pair-forms';

function Fact({ term, children }: { term: string; children: ReactNode }) {
  return (
    <div>
      <dt>{term}</dt>
      <dd>{children}</dd>
    </div>
  );
}

function nextLevelText(pair: LearnerPair): string {
  if (!pair.progress) return 'No progress yet';
  const next = pair.nextLevel;
  if (!next) return 'Top level';
  return `Next: level ${next.level} needs ${formatInt(next.xpRequired)} XP and ${formatInt(next.sessionsRequired)} sessions`;
}

/**
 * One (learner, specialization) pair: its progress and license side by side, whether they agree,
 * and, for an admin, the forms that change it (`levels` is given to an admin's render only).
 */
export function PairSection({ userId, pair, index, levels }: { userId: number; pair: LearnerPair; index: number; levels?: number[] }) {
  const headingId = `pair-${index}`;
  const { progress, license } = pair;
  return (
    <section className={`card ${styles.pair}`} aria-labelledby={headingId} data-specialization={pair.specializationId}>
      <div className={styles.pairHead}>
        <h2 id={headingId}>{pair.specializationId}</h2>
        <ConsistencyStatus pair={pair} />
      </div>
      <div className={styles.sides}>
        <div>
          <h3>Progress</h3>
          {progress ? (
            <dl className="summary-grid">
              <Fact term="Level">
                <span className="num">{progress.level}</span>
              </Fact>
              <Fact term="Total XP">
                <span className="num">{formatInt(progress.totalXp)}</span>
              </Fact>
              <Fact term="Completed sessions">
                <span className="num">{formatInt(progress.completedSessions)}</span>
              </Fact>
            </dl>
          ) : (
            <p className="muted">No progress row.</p>
          )}
          <p className="muted">{nextLevelText(pair)}</p>
        </div>
        <div>
          <h3>License</h3>
          {license ? (
            <dl className="summary-grid">
              <Fact term="Level">
                <span className="num">{license.level}</span>
              </Fact>
              <Fact term="Started">
                <LocalTime iso={license.startedAt.toISOString()} />
              </Fact>
              <Fact term="Last advanced">
                {license.lastAdvancedAt ? <LocalTime iso={license.lastAdvancedAt.toISOString()} /> : <span className="muted">Never</span>}
              </Fact>
            </dl>
          ) : (
            <p className="muted">No license row.</p>
          )}
        </div>
      </div>
      {levels ? (
        <PairForms
          // A change of either version remounts the forms: they reset and send the new versions.
          key={`${progress?.version ?? 0}:${license?.version ?? 0}`}
          userId={userId}
          specializationId={pair.specializationId}
          progress={progress && { level: progress.level, version: progress.version }}
          license={license && { level: license.level, version: license.version }}
          outOfSync={pair.kind !== null}
          levels={levels}
        />
      ) : null}
    </section>
  );
}
