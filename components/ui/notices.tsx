import { formatInt } from '@/lib/format';
import { MAX_LEARNER_MATCHES } from '@/lib/sync/search-filters';

/** Readable notes about query input that was adjusted (a shortened search, a clamped page). */
export function Notices({ notices }: { notices: readonly string[] }) {
  return notices.map((n) => (
    <p key={n} className="notice" role="status">
      {n}
    </p>
  ));
}

/** Why a list is empty when a filter value is unknown. */
export function InvalidFilterNotice({ message }: { message: string | undefined }) {
  return message ? (
    <p className="notice notice-warn" role="status">
      {message}
    </p>
  ) : null;
}

/** Says that a learner search named more learners than are searched (lib/sync/search-filters.ts). */
export function LearnersCappedNotice({ capped }: { capped: boolean }) {
  return capped ? (
    <p className="notice notice-warn" role="status">
      The learner search matches more than {formatInt(MAX_LEARNER_MATCHES)} learners; only the first {formatInt(MAX_LEARNER_MATCHES)} (by
      id) are searched. Narrow it down to see the rest.
    </p>
  ) : null;
}
