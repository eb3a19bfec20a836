import { randomUUID } from 'node:crypto';
import { afterAll } from '@jest/globals';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { DynamoDirectoryStore } from '../../shared/directory/directory-store.js';
import { ensureTable } from '../../shared/dynamodb/table.js';
import { exampleDirectory } from './service.js';

/**
 * The DynamoDB side of a port-contract suite: one client on the run's DynamoDB Local, and a
 * fresh table per test holding the example directory, so each test starts from the same
 * accounts and no two tests see each other's items.
 */
export function contractTables() {
  const endpoint = process.env.DYNAMODB_ENDPOINT;
  if (!endpoint) throw new Error('DYNAMODB_ENDPOINT is not set: run the tests with npm test');
  const raw = new DynamoDBClient({
    endpoint,
    region: 'local',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  });
  const documents = DynamoDBDocumentClient.from(raw, { marshallOptions: { removeUndefinedValues: true } });
  afterAll(() => raw.destroy());
  const freshTable = async () => {
    const tableName = `contract-${randomUUID()}`;
    await ensureTable(raw, tableName, { stream: false });
    const directory = new DynamoDirectoryStore(documents, tableName);
    await (await directory.snapshot()).write(exampleDirectory());
    return { tableName, directory };
  };
  return { documents, freshTable };
}
