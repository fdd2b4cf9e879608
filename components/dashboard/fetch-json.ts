/** Thrown for a failed poll; `message` is a sentence the page can show. */
export class FetchError extends Error {
  override name = 'FetchError';
  constructor(
    message: string,
    readonly status: number | null,
  ) {
    super(message);
  }
}

/**
 * GETs JSON for a react-query poll. A server that stops answering must surface as an error (so
 * the page can say its data is stale), hence the timeout on top of react-query's own signal.
 */
export async function fetchJson<T>(url: string, signal: AbortSignal, timeoutMs: number): Promise<T> {
  let res: Response;
  try {
    res = await fetch(url, {
      signal: AbortSignal.any([signal, AbortSignal.timeout(timeoutMs)]),
      cache: 'no-store',
      headers: { accept: 'application/json' },
    });
  } catch (err) {
    if (signal.aborted) throw err;
    throw new FetchError(
      err instanceof DOMException && err.name === 'TimeoutError'
        ? 'The server did not answer in time.'
        : 'The server could not be reached.',
      null,
    );
  }
  if (res.status === 401 || res.status === 403)
    throw new FetchError('You are signed out or no longer have access. Sign in again.', res.status);
  if (!res.ok) throw new FetchError(`The server answered with an error (HTTP ${res.status}).`, res.status);
  try {
    return (await res.json()) as T;
  } catch {
    throw new FetchError('The server sent an unreadable answer.', res.status);
  }
}
