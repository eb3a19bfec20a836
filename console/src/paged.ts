import { useEffect, useState } from 'preact/hooks';

/** One page of a cursor-paged list. */
export interface Page<T> {
  items: T[];
  next: string | null;
}

/**
 * A cursor-paged list: the current page, loading and error state, and moves. Key the
 * component that uses it by what the list is of, so a new list starts at its first page.
 */
export function usePaged<T>(load: (cursor: string | undefined) => Promise<Page<T>>) {
  const [cursors, setCursors] = useState<(string | undefined)[]>([undefined]);
  const [reloads, setReloads] = useState(0);
  const [state, setState] = useState<{ page?: Page<T>; error?: unknown; loading: boolean }>({ loading: true });

  useEffect(() => {
    let current = true;
    setState((previous) => ({ ...previous, loading: true }));
    load(cursors.at(-1)).then(
      (page) => current && setState({ page, loading: false }),
      (error: unknown) => current && setState({ error, loading: false }),
    );
    return () => {
      current = false;
    };
  }, [cursors, reloads]);

  return {
    items: state.page?.items,
    error: state.error,
    loading: state.loading,
    page: cursors.length,
    hasPrevious: cursors.length > 1,
    hasNext: !state.error && (state.page?.next ?? null) !== null,
    next: () => state.page?.next && setCursors([...cursors, state.page.next]),
    previous: () => setCursors(cursors.slice(0, -1)),
    /** The current page again (after a change to the list). */
    reload: () => setReloads((n) => n + 1),
    /** Changes the shown items at once (an item as the API just returned it), before any reload. */
    change: (edit: (items: T[]) => T[]) =>
      setState((previous) =>
        previous.page ? { ...previous, page: { ...previous.page, items: edit(previous.page.items) } } : previous,
      ),
  };
}
