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
