'use client';

import { useEffect, useRef, useState } from 'react';

/** A dry run shown in a dialog: loading, its answer, or why it could not be had. */
export type PreviewState<T> = { status: 'loading' } | { status: 'ready'; preview: T } | { status: 'error'; message: string };

type PreviewResult<T> = { ok: true; preview: T } | { ok: false; error: { message: string } };

/**
 * A modal <dialog> that shows a fresh dry run each time it opens (the sync and undo previews):
 * the returned ref opens and closes the element with `open`; every opening resets the state
 * (while rendering that opening, not in an effect) and calls `onOpen`, then runs `load` once.
 * A closed or reopened dialog ignores an older answer. `key` names what the dry run depends on
 * (its content, not the identity of the objects it is built from).
 */
export function usePreviewDialog<T>(
  open: boolean,
  key: string,
  load: () => Promise<PreviewResult<T>>,
  opts: { onOpen?: () => void; onError?: (message: string) => void } = {},
) {
  const ref = useRef<HTMLDialogElement>(null);
  const [state, setState] = useState<PreviewState<T>>({ status: 'loading' });
  const [shownOpen, setShownOpen] = useState(open);
  if (open !== shownOpen) {
    setShownOpen(open);
    if (open) {
      setState({ status: 'loading' });
      opts.onOpen?.();
    }
  }
  // The latest callbacks, read when the answer comes: their identity does not restart the dry run.
  const latest = useRef({ load, onError: opts.onError });
  useEffect(() => {
    latest.current = { load, onError: opts.onError };
  });

  useEffect(() => {
    const dialog = ref.current;
    if (!dialog) return;
    if (open && !dialog.open) dialog.showModal();
    if (!open && dialog.open) dialog.close();
  }, [open]);

  useEffect(() => {
    if (!open) return;
    let cancelled = false;
    latest.current
      .load()
      .then((result) => {
        if (cancelled) return;
        if (result.ok) setState({ status: 'ready', preview: result.preview });
        else {
          setState({ status: 'error', message: result.error.message });
          latest.current.onError?.(result.error.message);
        }
      })
      .catch(() => {
        if (!cancelled) setState({ status: 'error', message: 'The preview could not be loaded. Try again in a moment.' });
      });
    return () => {
      cancelled = true;
    };
  }, [open, key]);

  return { ref, state };
}
