import { readFileSync } from 'node:fs';
import { type Directory, DirectoryError } from '../../shared/directory/directory.js';
import { parseDirectory } from '../../shared/directory/directory-schema.js';

/**
 * Reads a directory file and checks its shape. References are checked by the import,
 * against the file plus what is stored (an upsert may point at stored entries), still
 * before anything is written.
 */
export function readDirectoryFile(file: string): Directory {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new DirectoryError([`${file}: cannot read (${(error as NodeJS.ErrnoException).code ?? 'error'})`]);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new DirectoryError([`${file}: not valid JSON (${(error as Error).message})`]);
  }
  return parseDirectory(json);
}
