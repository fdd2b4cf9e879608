import { CONDITION_LABELS, INCIDENT_CONDITIONS, type IncidentCondition } from '@/lib/vocabulary';

/** The "Conditions" checkbox group of a form: none checked means every condition. */
export function ConditionCheckboxes({ disabled = false }: { disabled?: boolean }) {
  return (
    <fieldset className="checkbox-group" disabled={disabled}>
      <legend>Conditions</legend>
      <p className="hint">None checked: all conditions.</p>
      {INCIDENT_CONDITIONS.map((c) => (
        <label key={c} className="inline-field">
          <input type="checkbox" name="conditions" value={c} /> {CONDITION_LABELS[c]}
        </label>
      ))}
    </fieldset>
  );
}

/** The checked conditions of a form's ConditionCheckboxes. */
export function checkedConditions(data: FormData): IncidentCondition[] {
  return data.getAll('conditions').map(String) as IncidentCondition[];
}
