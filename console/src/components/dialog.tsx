import type { ComponentChildren } from 'preact';
import { useEffect, useId, useLayoutEffect, useRef } from 'preact/hooks';

interface DialogProps {
  title: string;
  /** The dialog's own close controls, and Escape unless `onCancel` is given. */
  onClose: () => void;
  /**
   * Escape, for a dialog that may have to stay open (a secret not yet saved): it decides
   * whether to close. Without it, Escape closes.
   */
  onCancel?: () => void;
  /** Where focus goes back to when the opener is gone (a list re-rendered meanwhile). */
  fallbackFocus?: () => HTMLElement | null;
  children: ComponentChildren;
}

/**
 * A modal dialog: the native <dialog>, shown with showModal() so the page behind it is
 * inert and focus stays inside; focus moves to its first control (or the one marked
 * autofocus) and, when it closes, back to what opened it. Render it to open it, stop
 * rendering it to close it. A click outside never closes it.
 */
export function Dialog({ title, onClose, onCancel, fallbackFocus, children }: DialogProps) {
  const ref = useRef<HTMLDialogElement>(null);
  const id = useId();
  const handlers = useRef({ onClose, onCancel });
  handlers.current = { onClose, onCancel };
  const mounted = useRef(true);

  useLayoutEffect(() => {
    const dialog = ref.current!;
    const opener = document.activeElement instanceof HTMLElement ? document.activeElement : null;
    mounted.current = true;
    dialog.showModal();
    return () => {
      mounted.current = false;
      if (dialog.open) dialog.close();
      const target = opener?.isConnected ? opener : fallbackFocus?.();
      target?.focus();
    };
  }, []);

  useEffect(() => {
    const dialog = ref.current!;
    const onEscape = () => (handlers.current.onCancel ?? handlers.current.onClose)();
    // Escape: closed (or kept) through the owner's state, so the content goes with it.
    const cancel = (event: Event) => {
      event.preventDefault();
      onEscape();
    };
    // The browser may close a modal dialog without a cancelable cancel event (Chromium does
    // on a second Escape with no click between): a dialog that must stay opens again.
    const closed = () => {
      if (!mounted.current) return;
      if (handlers.current.onCancel) dialog.showModal();
      onEscape();
    };
    dialog.addEventListener('cancel', cancel);
    dialog.addEventListener('close', closed);
    return () => {
      dialog.removeEventListener('cancel', cancel);
      dialog.removeEventListener('close', closed);
    };
  }, []);

  return (
    <dialog ref={ref} class="dialog" aria-labelledby={id}>
      <h2 id={id}>{title}</h2>
      {children}
    </dialog>
  );
}
