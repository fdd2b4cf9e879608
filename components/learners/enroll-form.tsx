'use client';

import { useId, type FormEvent } from 'react';
import { enrollAction } from '@/lib/actions/enroll';
import { formatPairLevels } from '@/lib/format';
import styles from './learners.module.css';
import { useAdminAction } from './use-admin-action';

/** "Enroll" (ADMIN): starts a pair in a specialization the learner does not have yet. */
export function EnrollForm({ userId, specializations }: { userId: number; specializations: string[] }) {
  const id = useId();
  const { pending, run } = useAdminAction();
  if (!specializations.length) return null;

  const onSubmit = (e: FormEvent<HTMLFormElement>) => {
    e.preventDefault();
    const specializationId = String(new FormData(e.currentTarget).get('specializationId') ?? '');
    run(
      () => enrollAction({ userId, specializationId }),
      (r) => `Enrolled in ${specializationId}: ${formatPairLevels(r.after)}.`,
    );
  };

  return (
    <form className={`card ${styles.enroll}`} aria-label="Enroll" onSubmit={onSubmit}>
      <div className="field">
        <label htmlFor={`${id}-spec`}>Specialization</label>
        <select id={`${id}-spec`} name="specializationId" required defaultValue={specializations[0]}>
          {specializations.map((s) => (
            <option key={s} value={s}>
              {s}
            </option>
          ))}
        </select>
      </div>
      <button type="submit" className="button" disabled={pending} aria-busy={pending}>
        Enroll
      </button>
    </form>
  );
}
