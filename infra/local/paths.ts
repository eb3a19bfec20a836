import { resolve } from 'node:path';

/** The project root, whatever the working directory. */
export const PROJECT_ROOT = resolve(import.meta.dirname, '../..');
/**
 * Local state: DynamoDB Local data, the local OpenID provider's signing key, the running instance's endpoints. Never
 * committed.
 */
export const LOCAL_DIR = resolve(PROJECT_ROOT, '.local');
export const DEFAULT_DIRECTORY_FILE = resolve(PROJECT_ROOT, 'examples/directory.json');
export const RUNTIME_FILE = resolve(LOCAL_DIR, 'runtime.json');
/** Audit events, one JSON object a line, as subscribers would receive them in AWS. */
export const EVENTS_FILE = resolve(LOCAL_DIR, 'events.jsonl');
/** The same, for a run that keeps no data (`--in-memory`): started afresh each time. */
export const IN_MEMORY_EVENTS_FILE = resolve(LOCAL_DIR, 'events.in-memory.jsonl');
