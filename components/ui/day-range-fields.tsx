'use client';

import { useState } from 'react';
import { parseDay, type DayRange } from '@/lib/data/query-filters';

/**
 * "From" and "To" of a list's date filter: whole days in UTC, both included. A date applies as
 * soon as it is complete (or cleared); the fields follow the URL on back/forward navigation.
 */
export function DayRangeFields({
  idPrefix,
  current,
  onChange,
}: {
  idPrefix: string;
  current: DayRange;
  onChange: (range: DayRange) => void;
}) {
  const [range, setRange] = useState<DayRange>(current);
  const [urlRange, setUrlRange] = useState(current);
  if (current.from !== urlRange.from || current.to !== urlRange.to) {
    setUrlRange(current);
    setRange(current);
  }
  const hintId = `${idPrefix}-dates-hint`;

  const field = (key: keyof DayRange, label: string) => (
    <div className="field">
      <label htmlFor={`${idPrefix}-${key}`}>{label}</label>
      <input
        id={`${idPrefix}-${key}`}
        name={key}
        type="date"
        min="1900-01-01"
        max="9999-12-31"
        value={range[key] ?? ''}
        aria-describedby={hintId}
        onChange={(e) => {
          const value = e.currentTarget.value;
          const next = { ...range, [key]: value || undefined };
          setRange(next);
          // Typing a year digit by digit passes through 0002, 0020...: only a plausible day applies.
          if (!value || parseDay(value)) onChange(next);
        }}
      />
    </div>
  );

  return (
    <>
      {field('from', 'From')}
      {field('to', 'To')}
      <p id={hintId} className="muted hint filters-note">
        “From” and “To” are whole days in UTC, both included.
      </p>
    </>
  );
}
