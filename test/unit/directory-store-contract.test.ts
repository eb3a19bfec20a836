import { readDirectoryFile } from '../../infra/local/directory-file.js';
import { DEFAULT_DIRECTORY_FILE } from '../../infra/local/paths.js';
import { MemoryDirectoryStore } from '../../shared/directory/memory-directory-store.js';
import { MemoryTokenStore } from '../../shared/tokens/memory-token-store.js';
import { MemoryTokenTable } from '../../shared/tokens/memory-token-table.js';
import { directoryStoreContract } from '../support/contracts/directory-store.js';

/** The directory's port contract on the in-memory adapter (its DynamoDB half is in test/integration/). */
directoryStoreContract('in memory', async () => {
  // The token table's account check reads the directory's profiles, as on DynamoDB's one table.
  const directory: MemoryDirectoryStore = new MemoryDirectoryStore({ tokenHolders: () => table.counterHolders() });
  const table = new MemoryTokenTable((id) => directory.account(id));
  await (await directory.snapshot()).write(readDirectoryFile(DEFAULT_DIRECTORY_FILE));
  return { directory, tokens: new MemoryTokenStore(table) };
});
