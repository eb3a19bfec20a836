import type { ComponentChildren } from 'preact';
import { useEffect, useId, useLayoutEffect, useRef } from 'preact/hooks';

interface DialogProps {
  title: string;
  /** Escape, or the dialog's own close controls. */
  onClose: () => void;
  /** Where focus goes back to when the opener is gone (a list re-rendered meanwhile). */
  fallbackFocus?: () => HTMLElement | null;
  children: ComponentChildren;
}

/**
 * A modal dialog: the native <dialog>, shown with showModal() so the page behind it is
 * inert and focus stays inside; focus moves to its first control (or the one marked
 * autofocus) and, when it closes, back to what opened it. Render it to open it, stop
 * rendering it to close it.
 */
export function Dialog({ title, onClose, fallbackFocus, children }: DialogProps) {
  const ref = useRef<HTMLDialogElement>(null);
  const id = useId();
  const close = useRef(onClose);
  close.current = onClose;

  useLayoutEffect(() => {
    const dialog = ref.current!;
    const opener = document.activeElement instanceof HTMLElement ? document.activeElement : null;
    dialog.showModal();
    return () => {
      if (dialog.open) dialog.close();
      const target = opener?.isConnected ? opener : fallbackFocus?.();
      target?.focus();
    };
  }, []);

  useEffect(() => {
    const dialog = ref.current!;
    // Escape: closed through the owner's state, so the content goes with it.
    const cancel = (event: Event) => {
      event.preventDefault();
      close.current();
    };
    dialog.addEventListener('cancel', cancel);
    return () => dialog.removeEventListener('cancel', cancel);
  }, []);

  return (
    <dialog ref={ref} class="dialog" aria-labelledby={id}>
      <h2 id={id}>{title}</h2>
      {children}
    </dialog>
  );
}
