import { listSpecializations } from '@/lib/data/specializations';
import { getDb } from '@/lib/db/server';
import type { Learner } from '@/lib/sync';
import { getLevelTables } from '@/lib/sync/levels';
import { EnrollForm } from './enroll-form';
import { PairSection } from './pair-section';

/**
 * A learner's pairs, one section each. For an admin, also "Enroll" (the specializations the
 * learner has no pair in) and each pair's forms, with its specialization's levels.
 */
export async function LearnerPairs({ learner, isAdmin }: { learner: Learner; isAdmin: boolean }) {
  const [tables, specializations] = isAdmin ? await Promise.all([getLevelTables(getDb()), listSpecializations()]) : [null, []];
  const enrolled = new Set(learner.pairs.map((p) => p.specializationId));
  const levelsOf = (spec: string) => (tables ? (tables.get(spec) ?? []).map((r) => r.level) : undefined);

  return (
    <>
      {isAdmin ? (
        <EnrollForm userId={learner.id} specializations={specializations.map((s) => s.id).filter((s) => !enrolled.has(s))} />
      ) : null}
      {learner.pairs.length ? (
        learner.pairs.map((pair, i) => (
          <PairSection key={pair.specializationId} userId={learner.id} pair={pair} index={i} levels={levelsOf(pair.specializationId)} />
        ))
      ) : (
        <p className="card muted">Not enrolled in any specialization.</p>
      )}
    </>
  );
}
