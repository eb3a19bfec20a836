interface PagerProps {
  /** 1-based page number. */
  page: number;
  hasPrevious: boolean;
  hasNext: boolean;
  onPrevious: () => void;
  onNext: () => void;
  label: string;
}

/** Previous and next page of a cursor-paged list. */
export function Pager({ page, hasPrevious, hasNext, onPrevious, onNext, label }: PagerProps) {
  if (!hasPrevious && !hasNext) return null;
  return (
    <nav class="pager" aria-label={label}>
      <button type="button" onClick={onPrevious} disabled={!hasPrevious}>
        Previous page
      </button>
      <span>Page {page}</span>
      <button type="button" onClick={onNext} disabled={!hasNext}>
        Next page
      </button>
    </nav>
  );
}

/** Cursor paging state: the cursors of the pages seen, so Previous goes back without the API's help. */
export interface Cursors {
  stack: (string | undefined)[];
  next: string | null;
}
export const firstPage: Cursors = { stack: [undefined], next: null };
