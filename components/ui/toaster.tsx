'use client';

import { createContext, useCallback, useContext, useMemo, useRef, useState, type ReactNode } from 'react';

type ToastKind = 'success' | 'error' | 'info';
interface Toast {
  id: number;
  kind: ToastKind;
  message: string;
}

const ToastContext = createContext<(kind: ToastKind, message: string) => void>(() => {});

/**
 * Announces action results. The toasts live inside the live regions themselves (a polite
 * status region, an assertive alert region for errors), so screen readers hear exactly what
 * is shown, once.
 */
export function useToast() {
  const push = useContext(ToastContext);
  return useMemo(
    () => ({
      success: (m: string) => push('success', m),
      error: (m: string) => push('error', m),
      info: (m: string) => push('info', m),
    }),
    [push],
  );
}

const TOAST_MS = 8_000;

export function Toaster({ children }: { children: ReactNode }) {
  const [toasts, setToasts] = useState<Toast[]>([]);
  const nextId = useRef(1);

  const dismiss = useCallback((id: number) => setToasts((list) => list.filter((t) => t.id !== id)), []);

  const push = useCallback(
    (kind: ToastKind, message: string) => {
      const id = nextId.current++;
      setToasts((list) => [...list.slice(-3), { id, kind, message }]);
      setTimeout(() => dismiss(id), kind === 'error' ? TOAST_MS * 2 : TOAST_MS);
    },
    [dismiss],
  );

  const render = (list: Toast[]) =>
    list.map((t) => (
      <div key={t.id} className={`toast toast-${t.kind}`}>
        <span className="toast-message">{t.message}</span>
        <button type="button" className="toast-close" onClick={() => dismiss(t.id)} aria-label="Dismiss notification">
          ×
        </button>
      </div>
    ));

  return (
    <ToastContext.Provider value={push}>
      {children}
      <div className="toasts">
        <div role="status" aria-live="polite" className="toast-stack">
          {render(toasts.filter((t) => t.kind !== 'error'))}
        </div>
        <div role="alert" aria-live="assertive" className="toast-stack">
          {render(toasts.filter((t) => t.kind === 'error'))}
        </div>
      </div>
    </ToastContext.Provider>
  );
}
