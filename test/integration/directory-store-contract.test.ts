import { directoryStoreContract } from '../support/contracts/directory-store.js';
import { contractTables } from '../support/contract-tables.js';

/** The directory's port contract on DynamoDB's adapter, against DynamoDB Local: a table per test. */
const { freshTable } = contractTables();

directoryStoreContract('DynamoDB', async () => ({ directory: (await freshTable()).directory }));
