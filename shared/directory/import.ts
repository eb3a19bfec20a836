import type { DirectoryStore, DirectoryWriteResult } from '../ports.js';
import { checkDirectory, type Directory, mergeDirectories } from './directory.js';

export type ImportResult = DirectoryWriteResult;

/**
 * Imports a directory file (already parsed). Upsert by default: entries in the file
 * replace stored entries with the same id, the others stay; with `replace`, what the
 * file does not hold is removed. References are checked against the file plus what is
 * stored (an upsert may point at stored entries) before anything is written. Who may
 * manage tokens where is recomputed for the whole resulting directory, so a grant never
 * outlives the role or group behind it.
 */
export async function importDirectory(store: DirectoryStore, file: Directory, options: { replace: boolean }): Promise<ImportResult> {
  const { directory: current, write } = await store.snapshot();
  checkDirectory(file, options.replace ? {} : { domains: current.domains.map((d) => d.id), users: current.users.map((u) => u.id) });
  return write(options.replace ? file : mergeDirectories(current, file));
}
