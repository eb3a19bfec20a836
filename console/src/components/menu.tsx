import { useEffect, useId, useLayoutEffect, useRef, useState } from 'preact/hooks';

export interface MenuItem {
  label: string;
  onSelect: () => void;
  danger?: boolean;
}

interface MenuButtonProps {
  /** The button's visible words ("Actions"). */
  text: string;
  /** Its accessible name, which says what it acts on ("Actions for ci-pipeline"). */
  label: string;
  items: MenuItem[];
}

/**
 * A menu button (the WAI-ARIA menu button pattern): Enter, Space, a click or ArrowDown
 * open it on its first item, ArrowUp on its last; arrows, Home and End move between
 * items; Escape closes it and focus goes back to the button, as it does when an item is
 * chosen (so a dialog the item opens returns focus there); Tab or a click outside close it.
 */
export function MenuButton({ text, label, items }: MenuButtonProps) {
  const [open, setOpen] = useState<'first' | 'last' | undefined>();
  const [upward, setUpward] = useState(false);
  const id = useId();
  const host = useRef<HTMLDivElement>(null);
  const button = useRef<HTMLButtonElement>(null);
  const menu = useRef<HTMLDivElement>(null);
  const entries = () => [...(menu.current?.querySelectorAll<HTMLElement>('[role="menuitem"]') ?? [])];

  useLayoutEffect(() => {
    if (!open) return setUpward(false);
    // Upward when the page has no room below it but has above.
    const box = menu.current!.getBoundingClientRect();
    const top = button.current!.getBoundingClientRect().top;
    if (box.bottom > innerHeight && top > box.height) setUpward(true);
    const list = entries();
    (open === 'first' ? list[0] : list.at(-1))?.focus();
  }, [open]);

  useEffect(() => {
    if (!open) return;
    const outside = (event: Event) => {
      if (!host.current?.contains(event.target as Node)) setOpen(undefined);
    };
    document.addEventListener('pointerdown', outside);
    return () => document.removeEventListener('pointerdown', outside);
  }, [open]);

  const close = () => {
    setOpen(undefined);
    button.current?.focus();
  };

  function onButtonKey(event: KeyboardEvent) {
    if (event.key !== 'ArrowDown' && event.key !== 'ArrowUp') return;
    event.preventDefault();
    setOpen(event.key === 'ArrowDown' ? 'first' : 'last');
  }

  function onMenuKey(event: KeyboardEvent) {
    const list = entries();
    const at = list.indexOf(document.activeElement as HTMLElement);
    const to = { ArrowDown: at + 1, ArrowUp: at - 1, Home: 0, End: list.length - 1 }[event.key];
    if (to !== undefined) {
      event.preventDefault();
      list[(to + list.length) % list.length]?.focus();
    } else if (event.key === 'Escape') {
      event.preventDefault();
      close();
    } else if (event.key === 'Tab') {
      // Focus goes on from the button: the next control after it, or the one before.
      close();
    }
  }

  return (
    <div class="menu-host" ref={host}>
      <button
        type="button"
        ref={button}
        class="menu-button"
        aria-haspopup="menu"
        aria-expanded={open ? 'true' : 'false'}
        aria-controls={open ? id : undefined}
        aria-label={label}
        onClick={() => (open ? setOpen(undefined) : setOpen('first'))}
        onKeyDown={onButtonKey}
      >
        {text}
        <span aria-hidden="true" class="caret">
          ▾
        </span>
      </button>
      {open && (
        <div
          role="menu"
          id={id}
          aria-label={label}
          class={upward ? 'menu up' : 'menu'}
          ref={menu}
          onKeyDown={onMenuKey}
        >
          {items.map((item) => (
            <button
              type="button"
              role="menuitem"
              key={item.label}
              tabIndex={-1}
              class={item.danger ? 'danger' : undefined}
              onClick={() => {
                close();
                item.onSelect();
              }}
            >
              {item.label}
            </button>
          ))}
        </div>
      )}
    </div>
  );
}
