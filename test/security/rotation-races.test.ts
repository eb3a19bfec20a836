import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { Directory } from '../../shared/directory/directory.js';
import { ConcurrentUpdateError } from '../../shared/kernel/errors.js';
import { hashSecret, parseToken } from '../../shared/kernel/token-format.js';
import { SERVICE_ORIGIN, tokenEvent } from '../../shared/kernel/events.js';
import { domainTokens } from '../support/service.js';
import { transactionConflict } from './support/faults.js';
import { count } from './support/figures.js';
import { problemShape, type Reply, type SecurityService, secretHygieneTest } from './support/harness.js';
import { startSecurityService } from './support/harness.js';
import { changes, consistencyProblems, snapshot } from './support/table.js';

/**
 * Rotations of one token that race: over HTTP on DynamoDB Local, in a forced order, and
 * with the transaction conflicts real DynamoDB raises under contention (DynamoDB Local
 * never does). Of rotations in flight at once, one hands out a secret, and it works; the
 * others answer 409 CONCURRENT_UPDATE and change nothing.
 */
const DOMAIN = 'rr';
const MANAGER = 'rr-manager';
const ACCOUNT = 'rr-rotated';

function directory(): Directory {
  return {
    domains: [{ id: DOMAIN, authorization: 'ROLE_V1' }],
    users: [
      { id: MANAGER, type: 'USER', domains: [DOMAIN], groups: ['rr-team'], adminRoles: [] },
      { id: ACCOUNT, type: 'SERVICE_ACCOUNT', domains: [DOMAIN], groups: ['rr-team'], adminRoles: [] },
    ],
    roles: [{ domain: DOMAIN, name: 'managers', permissions: ['access_token.manage'], users: [MANAGER], groups: [] }],
    bundles: [],
  };
}

let api: SecurityService | undefined;
const base = domainTokens(DOMAIN, ACCOUNT);
const outcome = (reply: Reply) => `${reply.status}${reply.body?.code ? ` ${reply.body.code}` : ''}`;
const whoami = async (token: string) => (await api!.call('GET', '/api/v1/auth/whoami', { token })).status;

async function created(name: string): Promise<string> {
  const reply = await api!.call('POST', base, { as: MANAGER, body: { name } });
  expect(reply.status).toBe(201);
  return reply.body.token;
}

/** Sends every request at once and counts the race. */
async function race(requests: (() => Promise<Reply>)[]): Promise<Reply[]> {
  count('races');
  count('concurrentRequests', requests.length);
  return Promise.all(requests.map((send) => send()));
}

async function consistent(): Promise<void> {
  expect(consistencyProblems(await api!.scanTable(), ACCOUNT)).toStrictEqual([]);
}

beforeAll(async () => {
  api = await startSecurityService({ file: import.meta.filename, directory: directory() });
});
afterAll(async () => api?.stop());

describe('rotations that race', () => {
  it('hands one working secret to 12 forced rotations at once, 409 to the rest; the old keeps its grace', async () => {
    const service = api!;
    const original = await created('forced');
    // Connections first: sent at once means arriving at once, not each after its own handshake.
    await Promise.all(Array.from({ length: 12 }, () => service.call('GET', '/api/v1/auth/whoami', { as: MANAGER })));
    const path = `${base}/forced/rotate`;
    const rotate = (grace: number) => () => {
      return service.call('POST', path, { as: MANAGER, body: { force: true, gracePeriodSeconds: grace } });
    };
    const replies = await race(Array.from({ length: 12 }, (_, i) => rotate(600 + i)));
    const won = replies.filter((reply) => reply.status === 200);
    expect(won).toHaveLength(1);
    for (const reply of replies.filter((r) => r.status !== 200)) {
      expect(outcome(reply)).toBe('409 CONCURRENT_UPDATE');
      expect(reply.headers['retry-after']).toBe('1');
      expect(problemShape(reply)).toStrictEqual([]);
      expect(reply.body.token).toBeUndefined();
    }
    const winner = won[0]!;
    expect(await whoami(winner.body.token)).toBe(200);
    // The secret it replaced keeps the grace period its caller asked for.
    expect(await whoami(original)).toBe(200);
    const asked = 600 + replies.indexOf(winner);
    expect(Date.parse(winner.body.previousSecret.validUntil) - Date.parse(winner.body.rotatedAt)).toBe(asked * 1000);
    const listed = await service.call('GET', base, { as: MANAGER });
    const stored = listed.body.tokens.find((token: { name: string }) => token.name === 'forced');
    expect(stored.previousSecret.validUntil).toBe(winner.body.previousSecret.validUntil);
    await consistent();
  });

  it('writes nothing for a rotation whose read of the secret another rotation overtook (409)', async () => {
    // Forced order, below the HTTP layer so that only the credential's version is in play:
    // the first rotation has read the credential and is held before its write; a second
    // rotation lands; then the first writes, on a secret that is no longer current.
    const service = api!;
    const original = await created('overtaken');
    const current = (await service.tokens.get(ACCOUNT, 'overtaken'))!;
    const deps = { clock: () => new Date(), ids: service.runtime.ids };
    const rotation = (secretHash: string) => {
      const at = new Date().toISOString();
      const previous = { validUntil: new Date(Date.now() + 600_000).toISOString(), lastUsedAt: null };
      // Arrived after every rotation here: the credential's version alone decides.
      const requestedAt = new Date(Date.now() + 3_600_000).toISOString();
      return { secretHash, previous, rotatedAt: at, rotatedBy: MANAGER, force: true, requestedAt };
    };
    const event = () => tokenEvent(deps, 'token.rotated', current, SERVICE_ORIGIN);
    const first = service.runtime.ids.mintSecret(current.lookupId);
    const second = service.runtime.ids.mintSecret(current.lookupId);
    service.faults.reset();
    const held = service.faults.pause((step) => step.command === 'TransactWriteCommand');
    count('races');
    count('concurrentRequests', 2);
    const overtaken = service.runtime.credentials.rotate(current, rotation(first.secretHash), event());
    overtaken.catch(() => undefined);
    await held.reached;
    await service.runtime.credentials.rotate(current, rotation(second.secretHash), event());
    held.release();
    await expect(overtaken).rejects.toBeInstanceOf(ConcurrentUpdateError);
    service.faults.reset();
    const credential = await service.runtime.credentials.getCredential(current.lookupId);
    expect(credential?.secretHash).toBe(second.secretHash);
    expect(credential?.previousSecretHash).toBe(hashSecret(parseToken(original)!.secret));
    expect(await whoami(second.token)).toBe(200);
    expect(await whoami(first.token)).toBe(401);
    await consistent();
  });

  it('retries its write on the same read after a transaction conflict, and answers 409 if they persist', async () => {
    const service = api!;
    await created('contended');
    const rotate = () => service.call('POST', `${base}/contended/rotate`, { as: MANAGER, body: { force: true } });
    const isRotation = (step: { command: string; input: Record<string, unknown> }) =>
      step.command === 'TransactWriteCommand' && JSON.stringify(step.input).includes('secretHash');
    service.faults.reset();
    service.faults.inject(transactionConflict, isRotation, 1);
    const retried = await rotate();
    expect(service.faults.pending()).toBe(0);
    expect(retried.status).toBe(200);
    expect(await whoami(retried.body.token)).toBe(200);
    // Under persistent contention: a 409 to retry, and nothing written.
    await created('held');
    const before = snapshot(await service.scanTable());
    service.faults.reset();
    service.faults.inject(transactionConflict, isRotation, 10);
    const refused = await service.call('POST', `${base}/held/rotate`, { as: MANAGER, body: { force: true } });
    service.faults.reset();
    expect(outcome(refused)).toBe('409 CONCURRENT_UPDATE');
    expect(refused.headers['retry-after']).toBe('1');
    expect(problemShape(refused)).toStrictEqual([]);
    expect(changes(before, snapshot(await service.scanTable()))).toStrictEqual([]);
    await consistent();
  });
});

secretHygieneTest(() => api);
