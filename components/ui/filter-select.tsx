'use client';

/**
 * One select of a filter form: `allLabel` ("All …", the empty value: no filter), then one option a
 * value. `onChange` gets the chosen value, undefined for "All …". `keepValue`: a value the URL names
 * stays selectable while it is no longer among `options` (an actor whose jobs were all pruned).
 * `labels`: the words an option shows, when not its value ("Open" for OPEN).
 */
export function FilterSelect<V extends string>({
  id,
  name,
  label,
  allLabel,
  options,
  value,
  keepValue = false,
  labels,
  onChange,
}: {
  id: string;
  name: string;
  label: string;
  allLabel: string;
  options: readonly V[];
  value?: V;
  keepValue?: boolean;
  labels?: Partial<Record<V, string>>;
  onChange: (value: V | undefined) => void;
}) {
  const shown = keepValue && value && !options.includes(value) ? [value, ...options] : options;
  return (
    <div className="field">
      <label htmlFor={id}>{label}</label>
      <select id={id} name={name} value={value ?? ''} onChange={(e) => onChange((e.currentTarget.value || undefined) as V | undefined)}>
        <option value="">{allLabel}</option>
        {shown.map((v) => (
          <option key={v} value={v}>
            {labels?.[v] ?? v}
          </option>
        ))}
      </select>
    </div>
  );
}
