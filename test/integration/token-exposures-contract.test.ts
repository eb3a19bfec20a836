import { randomUUID } from 'node:crypto';
import { afterAll } from '@jest/globals';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { DynamoTokenEvents } from '../../shared/audit/event-store.js';
import { DynamoDirectoryStore } from '../../shared/directory/directory-store.js';
import { ensureTable } from '../../shared/dynamodb/table.js';
import { DynamoTokenExposures } from '../../shared/scanning/exposure-store.js';
import { DynamoCredentialStore } from '../../shared/tokens/credential-store.js';
import { DynamoTokenStore } from '../../shared/tokens/token-store.js';
import { tokenExposuresContract } from '../support/contracts/token-exposures.js';
import { exampleDirectory } from '../support/service.js';

/** Secret scanning's store contract on DynamoDB's adapter, against DynamoDB Local: a table per test. */
const endpoint = process.env.DYNAMODB_ENDPOINT;
if (!endpoint) throw new Error('DYNAMODB_ENDPOINT is not set: run the tests with npm test');
const credentials = { accessKeyId: 'local', secretAccessKey: 'local' };
const raw = new DynamoDBClient({ endpoint, region: 'local', credentials });
const documents = DynamoDBDocumentClient.from(raw, { marshallOptions: { removeUndefinedValues: true } });
afterAll(() => raw.destroy());

tokenExposuresContract('DynamoDB', async () => {
  const tableName = `contract-${randomUUID()}`;
  await ensureTable(raw, tableName, { stream: false });
  const directory = new DynamoDirectoryStore(documents, tableName);
  await (await directory.snapshot()).write(exampleDirectory());
  return {
    exposures: new DynamoTokenExposures(documents, tableName, 30),
    tokens: new DynamoTokenStore(documents, tableName),
    credentials: new DynamoCredentialStore(documents, tableName),
    events: new DynamoTokenEvents(documents, tableName),
    account: { id: 'sa-etl', incarnation: (await directory.getPrincipal('sa-etl'))?.incarnation },
  };
});
