import { resolve } from 'node:path';

/** The project root, whatever the working directory. */
export const PROJECT_ROOT = resolve(import.meta.dirname, '../..');
/** Local files: the console's builds, the local OpenID provider's signing key, by default the state below. */
export const LOCAL_DIR = resolve(PROJECT_ROOT, '.local');
/**
 * The state of the `npm start`s of this folder: which are running, the data and audit events
 * kept between runs. `LOCAL_STATE_DIR` moves it (the test suite keeps its own, away from yours).
 */
export const STATE_DIR = process.env.LOCAL_STATE_DIR ? resolve(process.env.LOCAL_STATE_DIR) : LOCAL_DIR;
export const DEFAULT_DIRECTORY_FILE = resolve(PROJECT_ROOT, 'examples/directory.json');
/** Audit events, one JSON object a line, as subscribers would receive them in AWS. */
export const EVENTS_FILE = resolve(STATE_DIR, 'events.jsonl');
