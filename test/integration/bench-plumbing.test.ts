import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import type { RunningGateway } from '../../infra/local/gateway.js';
import { startPlumbing } from '../../bench/plumbing.js';
import { keys } from '../../shared/dynamodb/keys.js';
import { adminTokens, startTestService, type TestService } from '../support/service.js';

/**
 * The benchmark's plumbing (bench/plumbing.ts) stands for the token path with none of its
 * logic: it must make exactly the floor's two reads, through the same local gateway, and
 * answer what the floor answers. Over real HTTP, on DynamoDB Local.
 */
let api: TestService;
let plumbing: RunningGateway;
let token: string;

beforeAll(async () => {
  api = await startTestService();
  plumbing = await startPlumbing(api.service.runtime);
  const created = await api.call('POST', adminTokens('sa-etl'), { as: 'root', body: { name: 'plumbing' } });
  expect(created.status).toBe(201);
  token = (created.body as { token: string }).token;
});
afterAll(async () => {
  await plumbing?.close();
  await api?.stop();
});

// Lower case, as the benchmark sends it: the plumbing reads the header by that name alone.
const whoami = (apiToken: string) =>
  fetch(`${plumbing.url}/api/v1/auth/whoami`, { headers: { 'x-api-token': apiToken } });

describe('the plumbing', () => {
  it("makes the floor's two reads, the credential's and the principal's, and answers as the floor does", async () => {
    const send = jest.spyOn(api.service.runtime.documents, 'send');
    try {
      const reply = await whoami(token);
      expect({ status: reply.status, body: await reply.json() }).toEqual({
        status: 200,
        body: { userId: 'sa-etl', type: 'SERVICE_ACCOUNT' },
      });
      const commands = send.mock.calls.map(([command]) => command.constructor.name);
      const read = send.mock.calls.map(([command]) => (command as { input: { Key?: unknown } }).input.Key);
      expect(commands).toEqual(['GetCommand', 'GetCommand']);
      expect(read).toEqual([keys.credential(token.slice(7, 23)), keys.profile('sa-etl')]);
    } finally {
      send.mockRestore();
    }
  });

  it('answers an unknown token 401 at the gateway, and serves no route but whoami', async () => {
    expect((await whoami(`${token.slice(0, 7)}${'x'.repeat(16)}${token.slice(23)}`)).status).toBe(401);
    const other = await fetch(`${plumbing.url}${adminTokens('sa-etl')}`, { headers: { 'X-API-Token': token } });
    expect(other.status).toBe(404);
  });
});
