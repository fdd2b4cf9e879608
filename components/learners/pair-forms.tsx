'use client';

import { useId, type FormEvent, type ReactNode } from 'react';
import { advanceLicenseAction } from '@/lib/actions/advance-license';
import { demoteLicenseAction } from '@/lib/actions/demote-license';
import { recordProgressAction } from '@/lib/actions/record-progress';
import { syncPairAction } from '@/lib/actions/sync-pair';
import { formatPairLevels } from '@/lib/format';
import styles from './learners.module.css';
import { numberField, useAdminAction } from './use-admin-action';

/** What a pair's forms need from the page: the pair, the versions it showed, its specialization's levels. */
export interface PairFormsProps {
  userId: number;
  specializationId: string;
  progress: { level: number; version: number } | null;
  license: { level: number; version: number } | null;
  /** Out of sync: "Sync this pair" is offered. */
  outOfSync: boolean;
  /** Every level of the specialization, lowest first. */
  levels: number[];
}

function AdminForm({
  title,
  onSubmit,
  children,
}: {
  title: string;
  onSubmit: (e: FormEvent<HTMLFormElement>) => void;
  children: ReactNode;
}) {
  const id = useId();
  return (
    <form className={styles.form} aria-labelledby={id} onSubmit={onSubmit}>
      <h3 id={id}>{title}</h3>
      {children}
    </form>
  );
}

function SubmitButton({ pending, children }: { pending: boolean; children: ReactNode }) {
  return (
    <button type="submit" className="button" disabled={pending} aria-busy={pending}>
      {children}
    </button>
  );
}

function RecordProgressForm({ userId, specializationId, progress }: PairFormsProps) {
  const id = useId();
  const { pending, run } = useAdminAction();
  const onSubmit = (e: FormEvent<HTMLFormElement>) => {
    e.preventDefault();
    const form = e.currentTarget;
    const data = new FormData(form);
    const input = {
      userId,
      specializationId,
      xpGained: numberField(data, 'xpGained'),
      sessionsCompleted: numberField(data, 'sessionsCompleted'),
      expectedVersion: progress?.version,
    };
    run(
      () => recordProgressAction(input),
      (r) => `Recorded progress in ${specializationId}: ${formatPairLevels(r.after)}.`,
      () => form.reset(),
    );
  };
  return (
    <AdminForm title="Record progress" onSubmit={onSubmit}>
      <div className="field">
        <label htmlFor={`${id}-xp`}>XP gained</label>
        <input id={`${id}-xp`} name="xpGained" type="number" inputMode="numeric" min={0} step={1} defaultValue={0} required />
      </div>
      <div className="field">
        <label htmlFor={`${id}-sessions`}>Sessions completed</label>
        <input
          id={`${id}-sessions`}
          name="sessionsCompleted"
          type="number"
          inputMode="numeric"
          min={0}
          step={1}
          defaultValue={0}
          required
        />
      </div>
      <SubmitButton pending={pending}>Record progress</SubmitButton>
    </AdminForm>
  );
}

/** Advance (levels above the license) or demote (levels below it, reason required). */
function LevelForm({ direction, userId, specializationId, license, levels }: PairFormsProps & { direction: 'advance' | 'demote' }) {
  const id = useId();
  const { pending, run } = useAdminAction();
  const current = license?.level ?? 0;
  const choices = levels.filter((l) => (direction === 'advance' ? l > current : l < current));
  if (!choices.length) return null;
  const demote = direction === 'demote';

  const onSubmit = (e: FormEvent<HTMLFormElement>) => {
    e.preventDefault();
    const data = new FormData(e.currentTarget);
    const targetLevel = numberField(data, 'targetLevel');
    const reason = String(data.get('reason') ?? '');
    const input = { userId, specializationId, targetLevel, reason, expectedVersion: license?.version };
    const done = (r: { after: { progressLevel: number | null; licenseLevel: number | null } }) =>
      `${demote ? 'Demoted' : 'Advanced'} the ${specializationId} license to level ${targetLevel}: ${formatPairLevels(r.after)}.`;
    if (demote) run(() => demoteLicenseAction(input), done);
    else run(() => advanceLicenseAction({ ...input, reason: reason.trim() || null }), done);
  };

  return (
    <AdminForm title={demote ? 'Demote' : 'Advance license'} onSubmit={onSubmit}>
      <div className="field">
        <label htmlFor={`${id}-level`}>{demote ? 'Demote to level' : 'New level'}</label>
        <select id={`${id}-level`} name="targetLevel" defaultValue={demote ? choices.at(-1) : choices[0]}>
          {choices.map((l) => (
            <option key={l} value={l}>
              Level {l}
            </option>
          ))}
        </select>
      </div>
      <div className="field">
        <label htmlFor={`${id}-reason`}>{demote ? 'Reason (required)' : 'Reason (optional)'}</label>
        <input id={`${id}-reason`} name="reason" type="text" maxLength={500} required={demote} autoComplete="off" />
      </div>
      <SubmitButton pending={pending}>{demote ? 'Demote' : 'Advance license'}</SubmitButton>
    </AdminForm>
  );
}

function SyncPairForm({ userId, specializationId }: PairFormsProps) {
  const { pending, run } = useAdminAction();
  const onSubmit = (e: FormEvent<HTMLFormElement>) => {
    e.preventDefault();
    run(
      () => syncPairAction({ userId, specializationId }),
      (r) =>
        r.outcome === 'SYNCED'
          ? `Synced ${specializationId}: ${formatPairLevels(r.before)} → ${formatPairLevels(r.after)}.`
          : r.outcome === 'NOOP'
            ? `${specializationId} was already in sync; nothing changed.`
            : `${specializationId} is an orphan: reported, not repaired.`,
    );
  };
  return (
    <AdminForm title="Out of sync" onSubmit={onSubmit}>
      <p className="muted hint">Repairs this pair by the sync policy, as a sync job would.</p>
      <SubmitButton pending={pending}>Sync this pair</SubmitButton>
    </AdminForm>
  );
}

/**
 * A pair's admin forms (ADMIN only: the page renders them for an admin alone, and every action
 * checks the role again). Each sends the version it showed, so a concurrent change gives CONFLICT
 * instead of being overwritten; the page keys them by version, so they reset after each change.
 */
export function PairForms(props: PairFormsProps) {
  return (
    <div className={styles.forms}>
      <RecordProgressForm {...props} />
      <LevelForm {...props} direction="advance" />
      {props.progress && props.license ? <LevelForm {...props} direction="demote" /> : null}
      {props.outOfSync ? <SyncPairForm {...props} /> : null}
    </div>
  );
}
