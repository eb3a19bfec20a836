import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { onDynamoDbCommand } from '../security/support/dynamodb-calls.js';
import { adminTokens, domainTokens, startTestService, type TestService } from '../support/service.js';

/**
 * What bounds an account's tokens together: every call of theirs through a function reads
 * the account's profile, one item, which DynamoDB serves at most 3,000 times a second
 * (docs/performance.md). A token acting on its own account reads it once, not twice.
 */

let api: TestService;
const FIN = domainTokens('finance', 'sa-etl');
/** An account whose tokens may manage its own tokens (examples/directory.json). */
const ROTATOR = adminTokens('sa-rotator');

beforeAll(async () => {
  api = await startTestService({ throttle: false });
});
afterAll(async () => api?.stop());

/** The reads of the account's profile item during one call. */
async function profileReads(account: string, call: () => Promise<number>): Promise<string[]> {
  const reads: string[] = [];
  onDynamoDbCommand((command) => {
    if (command.input?.Key?.pk === `USER#${account}`) reads.push(command.constructor.name);
  });
  // Once before counting: the authorizer's per-container memory of account types is warm.
  expect(await call()).toBe(200);
  reads.length = 0;
  expect(await call()).toBe(200);
  return reads;
}

describe("what an account's calls read", () => {
  it('reads the profile once when a token acts on its own account, and the checks still hold', async () => {
    const token = (await api.call('POST', ROTATOR, { as: 'root', body: { name: 'reader' } })).body.token as string;
    const list = async () => (await api.call('GET', ROTATOR, { token })).status;
    expect(await profileReads('sa-rotator', list)).toStrictEqual(['GetCommand']);
    // Another account's tokens stay out of its reach.
    expect((await api.call('GET', FIN, { token })).status).toBe(403);
  });

  it('still reads a person and the account apart', async () => {
    const list = async () => (await api.call('GET', FIN, { as: 'alice' })).status;
    // alice's profile is another item; the account's is read once.
    expect(await profileReads('sa-etl', list)).toStrictEqual(['GetCommand']);
  });
});
