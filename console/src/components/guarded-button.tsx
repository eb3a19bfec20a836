import type { Ref } from 'preact';

interface GuardedButtonProps {
  text: string;
  /** Why the caller may not: the button is disabled and a tooltip says why. */
  why: string | undefined;
  id: string;
  onClick: () => void;
  buttonRef?: Ref<HTMLButtonElement>;
}

/** A toolbar's main button, disabled with its reason in a tooltip (hover or keyboard focus) when the caller may not. */
export function GuardedButton({ text, why, id, onClick, buttonRef }: GuardedButtonProps) {
  const tip = `${id}-why`;
  return (
    <span class="tip-host" tabIndex={why ? 0 : undefined} aria-describedby={why ? tip : undefined}>
      <button
        type="button"
        class="primary"
        ref={buttonRef}
        disabled={why !== undefined}
        aria-describedby={why ? tip : undefined}
        onClick={onClick}
      >
        {text}
      </button>
      {why && (
        <span class="tip" role="tooltip" id={tip}>
          {why}
        </span>
      )}
    </span>
  );
}
