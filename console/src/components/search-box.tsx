import { useEffect, useState } from 'preact/hooks';
import { described } from './field';

/** How long typing pauses before a search is sent: one request per word typed, not per key. */
const DEBOUNCE_MS = 300;
/** What no directory id contains (the API refuses a search with it). */
const NOT_IN_IDS = /[\s/#?%]/;

/**
 * A search by the start of an id, as the member and user lists take it (`q`): the search
 * is handed on once typing pauses; one that no id could start with is said so on the field
 * and not sent.
 */
export function SearchBox({ id, label, onSearch }: { id: string; label: string; onSearch: (q: string) => void }) {
  const [text, setText] = useState('');
  const invalid = NOT_IN_IDS.test(text.trim());
  useEffect(() => {
    if (invalid) return;
    const timer = setTimeout(() => onSearch(text.trim()), DEBOUNCE_MS);
    return () => clearTimeout(timer);
  }, [text, invalid]);
  const error = invalid ? 'An id has no spaces, /, #, ? or %.' : undefined;
  return (
    <div class="field search" role="search">
      <label for={id}>{label}</label>
      <input
        type="search"
        autocomplete="off"
        spellcheck={false}
        value={text}
        onInput={(event) => setText(event.currentTarget.value)}
        {...described(id, error)}
      />
      <p class="hint" id={`${id}-hint`}>
        Ids that start with what you type (A and a differ).
      </p>
      {error && (
        <p class="field-error" id={`${id}-error`}>
          {error}
        </p>
      )}
    </div>
  );
}
