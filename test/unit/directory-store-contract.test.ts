import { MemoryDirectoryStore } from '../../shared/directory/memory-directory-store.js';
import { readDirectoryFile } from '../../infra/local/directory-file.js';
import { DEFAULT_DIRECTORY_FILE } from '../../infra/local/paths.js';
import { directoryStoreContract } from '../support/contracts/directory-store.js';

/** The directory's port contract on the in-memory adapter (its DynamoDB half is in test/integration/). */
directoryStoreContract('in memory', async () => {
  const directory = new MemoryDirectoryStore();
  await (await directory.snapshot()).write(readDirectoryFile(DEFAULT_DIRECTORY_FILE));
  return { directory };
});
