import { readFileSync } from 'node:fs';
import { type Directory, DirectoryError, checkDirectory, parseDirectory } from '../../shared/directory/directory.js';

/** Reads and fully checks a directory file before anything touches the table. */
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
  const directory = parseDirectory(json);
  checkDirectory(directory);
  return directory;
}
