'use client';

import { useEffect, type RefObject } from 'react';

/** Where a typed "/" is text, not a shortcut. */
function isTyping(target: EventTarget | null): boolean {
  if (!(target instanceof HTMLElement)) return false;
  return (
    target.isContentEditable ||
    target instanceof HTMLInputElement ||
    target instanceof HTMLTextAreaElement ||
    target instanceof HTMLSelectElement
  );
}

/**
 * "/" focuses (and selects) the list's search box, as on GitHub or Gmail: not while typing in a
 * field or with Ctrl, Alt or Meta held (Shift is allowed: some layouts need it for "/"), and not
 * behind an open modal dialog. With several boxes on a page the first one mounted wins.
 */
export function useSlashShortcut(input: RefObject<HTMLInputElement | null>) {
  useEffect(() => {
    const onKeyDown = (e: KeyboardEvent) => {
      if (e.key !== '/' || e.defaultPrevented || e.isComposing || e.ctrlKey || e.altKey || e.metaKey) return;
      if (isTyping(e.target) || isTyping(document.activeElement)) return;
      const box = input.current;
      if (!box || box.disabled || document.querySelector('dialog[open]')) return;
      e.preventDefault();
      box.focus();
      box.select();
    };
    document.addEventListener('keydown', onKeyDown);
    return () => document.removeEventListener('keydown', onKeyDown);
  }, [input]);
}
