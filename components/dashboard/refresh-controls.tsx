'use client';

import { LiveIndicator } from '@/components/live/live-indicator';
import { LocalTime } from '@/components/ui/local-time';

export const REFRESH_CHOICES = [5, 10, 30, 60] as const;

/** The select's choices: the usual ones and the configured default (DASHBOARD_POLL_SECONDS). */
export function refreshChoices(defaultSeconds: number): number[] {
  return [...new Set<number>([...REFRESH_CHOICES, defaultSeconds])].sort((a, b) => a - b);
}

export function RefreshControls(props: {
  autoRefresh: boolean;
  onAutoRefresh: (on: boolean) => void;
  seconds: number;
  onSeconds: (s: number) => void;
  defaultSeconds: number;
  lastUpdatedIso: string | null;
  fetching: boolean;
}) {
  return (
    <div className="refresh-controls">
      <div className="switch-field">
        <input
          id="auto-refresh"
          type="checkbox"
          role="switch"
          className="switch"
          checked={props.autoRefresh}
          aria-checked={props.autoRefresh}
          onChange={(e) => props.onAutoRefresh(e.currentTarget.checked)}
        />
        <label htmlFor="auto-refresh">Auto-refresh</label>
      </div>
      <div className="inline-field">
        <label htmlFor="refresh-every">Refresh every</label>
        <select id="refresh-every" value={props.seconds} onChange={(e) => props.onSeconds(Number(e.currentTarget.value))}>
          {refreshChoices(props.defaultSeconds).map((s) => (
            <option key={s} value={s}>
              {s} s
            </option>
          ))}
        </select>
      </div>
      <LiveIndicator pollSeconds={props.seconds} paused={!props.autoRefresh} />
      <p className="last-updated" aria-busy={props.fetching}>
        <span className="muted">Last updated</span> <LocalTime iso={props.lastUpdatedIso} />
      </p>
    </div>
  );
}
