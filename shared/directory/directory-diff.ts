import type { Directory } from './directory.js';
import { type DirectoryItem, directoryItems, itemKey } from './directory-items.js';
import { assignIncarnations } from './incarnation-items.js';
import type { DirectoryWriteResult } from './ports.js';

/**
 * What makes the stored directory items `stored` the directory `target`, for either store
 * to apply in its order (see DynamoDirectoryStore's write): the items to remove, to
 * replace, to add, and the records of the incarnations it starts, with the counts an
 * import reports.
 */
export function directoryWrite(stored: DirectoryItem[], target: Directory, at: Date) {
  const desired = directoryItems(target);
  const storedByKey = new Map(stored.map((item) => [itemKey(item), item]));
  const started = assignIncarnations(desired, storedByKey, at);
  const desiredKeys = new Set(desired.map(itemKey));
  const changed = desired.filter((item) => {
    const current = storedByKey.get(itemKey(item));
    return current !== undefined && canonical(current) !== canonical(item);
  });
  const added = desired.filter((item) => !storedByKey.has(itemKey(item)));
  const removed = stored.filter((item) => !desiredKeys.has(itemKey(item)));
  const result: DirectoryWriteResult = {
    written: changed.length + added.length,
    deleted: removed.length,
    unchanged: desired.length - changed.length - added.length,
  };
  return { removed, changed, added, started, result };
}

/** An item's content, independent of attribute order. */
function canonical(item: Record<string, unknown>): string {
  return JSON.stringify(Object.fromEntries(Object.entries(item).sort(([a], [b]) => a.localeCompare(b))));
}
