import { beforeEach, describe, expect, it } from '@jest/globals';
import type { TokenEvents } from '../../../shared/audit/ports.js';
import type { CredentialStore } from '../../../shared/auth/ports.js';
import {
  ConcurrentUpdateError,
  PolicyLimitReachedError,
  PolicyNotFoundError,
  RateLimitCapacityReachedError,
  ServiceAccountNotFoundError,
} from '../../../shared/kernel/errors.js';
import type { TokenEvent, TokenEventType } from '../../../shared/kernel/events.js';
import { eventId, ids } from '../../../shared/kernel/ids.js';
import type { TokenBinding, TokenRecord } from '../../../shared/kernel/model.js';
import type { StoredPolicy } from '../../../shared/federation/policy.js';
import type { ExchangeRecords, PolicyStore } from '../../../shared/federation/ports.js';
import type { NewToken, TokenStore } from '../../../shared/tokens/ports.js';

/**
 * Federation's stores (PolicyStore, ExchangeRecords), written once and run against each
 * adapter: the in-memory ones in the fast tier (test/unit/federation-stores-contract.test.ts),
 * DynamoDB's against DynamoDB Local in the full tier
 * (test/integration/federation-stores-contract.test.ts).
 */
export interface FederationStoresAdapters {
  policies: PolicyStore;
  exchanges: ExchangeRecords;
  /** What an exchange's token is read back with, and the trail its events are in. */
  tokens: TokenStore;
  credentials: CredentialStore;
  events: TokenEvents;
  /** A service account of the directory, with its incarnation. */
  account: { id: string; incarnation: string | undefined };
  /** A user who is not a service account. */
  user: string;
  /** Marks an account as leaving the directory (DirectoryStore.retire). */
  retire(accountId: string): Promise<void>;
  /** Gives a policy a key, as the key worker does (a write of its own). */
  rekey(policy: StoredPolicy, key: TokenBinding): Promise<void>;
  /** Marks a policy as a create an earlier version left unfinished (`pendingSince`). */
  leavePending(policy: StoredPolicy): Promise<void>;
}

/** The deployment's ceiling of tokens and policies with a limit the adapters are made with. */
export const FEDERATION_CONTRACT_CEILING = 2;

let clock = Date.parse('2032-01-01T00:00:00.000Z');
const tick = () => new Date((clock += 1000));

export function federationStoresContract(adapter: string, setUp: () => Promise<FederationStoresAdapters>): void {
  describe(`federation's stores (${adapter})`, () => {
    let a: FederationStoresAdapters;
    beforeEach(async () => {
      a = await setUp();
    });

    const policy = (policyId: string, over: Partial<StoredPolicy> = {}): StoredPolicy => ({
      policyId,
      serviceAccountId: a.account.id,
      name: `deploy-${policyId}`,
      issuer: 'https://ci.example.com',
      jwksHosts: [],
      audiences: ['service-account-tokens'],
      subject: 'repo:org/app:*',
      claims: { repository_owner_id: ['65'] },
      maxTtlSeconds: 900,
      maxTokenAgeSeconds: 3600,
      maxRps: null,
      scopes: ['tokens:read', 'tokens:write', 'api'],
      allowedCidrs: null,
      createdBy: 'alice',
      createdAt: tick().toISOString(),
      ...(a.account.incarnation === undefined ? {} : { incarnation: a.account.incarnation }),
      ...over,
    });
    // A policy's events name the policy where a token's name their token.
    const event = (type: TokenEventType, tokenName = 'deploy'): TokenEvent => {
      const at = tick();
      return {
        id: eventId(at),
        time: at.toISOString(),
        type,
        serviceAccountId: a.account.id,
        tokenName,
        ...(a.account.incarnation === undefined ? {} : { incarnation: a.account.incarnation }),
        actor: { userId: 'alice', authenticatedBy: 'JWT' },
        requestId: null,
        sourceIp: null,
        userAgent: null,
        changes: {},
      } as TokenEvent;
    };
    const made = async (policyId: string, over: Partial<StoredPolicy> = {}) => {
      await a.policies.create(policy(policyId, over), 50, event('federation_policy.created'));
      const stored = await a.policies.get(a.account.id, policyId);
      if (!stored) throw new Error(`${policyId} is not stored`);
      return stored;
    };
    /** The account's trail, newest first. */
    const trail = async () =>
      (await a.events.list(a.account.id, { incarnation: a.account.incarnation, limit: 50 })).events.map((e) => e.type);
    /** A token an exchange issues under a policy. */
    const issued = (from: StoredPolicy, name = `${from.name}-${ids.mintToken().lookupId.slice(0, 6)}`): NewToken => {
      const { lookupId, prefix, secretHash } = ids.mintToken();
      const at = tick().toISOString();
      const record: TokenRecord = {
        serviceAccountId: from.serviceAccountId,
        name,
        lookupId,
        prefix,
        status: 'ACTIVE',
        maxRps: from.maxRps,
        expiresAt: new Date(Date.parse(at) + 900_000).toISOString(),
        createdAt: at,
        createdBy: 'repo:org/app:ref:refs/heads/main',
        updatedAt: at,
        lastUsedAt: null,
        rotatedAt: null,
        rotatedBy: null,
        previousSecret: null,
        federation: { policyId: from.policyId, policyName: from.name },
        ...(from.incarnation === undefined ? {} : { incarnation: from.incarnation }),
      };
      return { record, secretHash, removeAfter: Math.ceil(Date.parse(record.expiresAt!) / 1000) };
    };

    describe('policies', () => {
      it('stores a policy as given, with its event, and lists an account’s policies by id', async () => {
        const second = await made('p-2');
        const first = await made('p-1');
        expect(first).toStrictEqual(policy('p-1', { createdAt: first.createdAt }));
        expect((await a.policies.list(a.account.id)).map((p) => p.policyId)).toStrictEqual(['p-1', 'p-2']);
        expect(await a.policies.list(a.user)).toStrictEqual([]);
        expect(second.capacityShard).toBe(undefined);
        expect(await trail()).toStrictEqual(['federation_policy.created', 'federation_policy.created']);
      });

      it('refuses a policy for an account that is not a service account, or is leaving the directory', async () => {
        const refused = (p: StoredPolicy) => a.policies.create(p, 50, event('federation_policy.created'));
        await expect(refused(policy('p-1', { serviceAccountId: a.user }))).rejects.toThrow(ServiceAccountNotFoundError);
        await expect(refused(policy('p-2', { incarnation: 'mf0zzzzzzzzzzzzzzzzzzz' }))).rejects.toThrow(
          ServiceAccountNotFoundError,
        );
        await a.retire(a.account.id);
        await expect(refused(policy('p-3'))).rejects.toThrow(ServiceAccountNotFoundError);
        expect(await a.policies.list(a.account.id)).toStrictEqual([]);
        expect(await trail()).toStrictEqual([]);
      });

      it('keeps an account to its limit of policies, race-free, and a deletion frees a place', async () => {
        const create = (id: string) => a.policies.create(policy(id), 2, event('federation_policy.created'));
        const results = await Promise.allSettled([create('p-1'), create('p-2'), create('p-3')]);
        expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(2);
        const refused = results.find((r) => r.status === 'rejected') as PromiseRejectedResult;
        expect(refused.reason).toBeInstanceOf(PolicyLimitReachedError);
        const [kept] = await a.policies.list(a.account.id);
        await a.policies.delete(kept!, event('federation_policy.deleted'));
        await create('p-4');
        expect(await a.policies.list(a.account.id)).toHaveLength(2);
      });

      it('gives a policy with a limit a place in the deployment’s capacity, and takes it back with the policy', async () => {
        const limited = (id: string) => made(id, { maxRps: 5 });
        const [first] = [await limited('p-1'), await limited('p-2')];
        expect(first.capacityShard).toStrictEqual(expect.any(Number));
        await expect(limited('p-3')).rejects.toThrow(RateLimitCapacityReachedError);
        // Without a limit, no place is needed.
        await made('p-4');
        await a.policies.delete(first, event('federation_policy.deleted'));
        await limited('p-5');
        expect((await a.policies.list(a.account.id)).map((p) => p.policyId)).toStrictEqual(['p-2', 'p-4', 'p-5']);
      });

      it('deletes a policy read just before, with its event; a second delete finds none', async () => {
        const stored = await made('p-1');
        await a.policies.delete(stored, event('federation_policy.deleted'));
        expect(await a.policies.get(a.account.id, 'p-1')).toBe(undefined);
        await expect(a.policies.delete(stored, event('federation_policy.deleted'))).rejects.toThrow(
          PolicyNotFoundError,
        );
        expect(await trail()).toStrictEqual(['federation_policy.deleted', 'federation_policy.created']);
      });

      it('does not delete a policy whose key the key worker bound after it was read, nor write the event', async () => {
        const read = await made('p-1', { maxRps: 5 });
        await a.rekey(read, { apiKeyId: 'key-1', usageKey: 'usage-1' });
        await expect(a.policies.delete(read, event('federation_policy.deleted'))).rejects.toThrow(
          ConcurrentUpdateError,
        );
        const now = await a.policies.get(a.account.id, 'p-1');
        expect({ apiKeyId: now?.apiKeyId, usageKey: now?.usageKey }).toStrictEqual({
          apiKeyId: 'key-1',
          usageKey: 'usage-1',
        });
        // Read again, it goes.
        await a.policies.delete(now!, event('federation_policy.deleted'));
        expect(await trail()).toStrictEqual(['federation_policy.deleted', 'federation_policy.created']);
      });

      it('refuses a write whose event id is taken, and writes nothing of it', async () => {
        const taken = event('federation_policy.created');
        await a.policies.create(policy('p-1'), 50, taken);
        await expect(a.policies.create(policy('p-2'), 50, taken)).rejects.toThrow(ConcurrentUpdateError);
        expect((await a.policies.list(a.account.id)).map((p) => p.policyId)).toStrictEqual(['p-1']);
      });
    });

    describe('exchange records', () => {
      it('stores an issued token, its credential and its event', async () => {
        const from = await made('p-1');
        const token = issued(from);
        await a.exchanges.issue(token, from, event('token.exchanged', token.record.name));
        const stored = await a.tokens.get(a.account.id, token.record.name);
        expect(stored).toMatchObject({ ...token.record });
        const credential = await a.credentials.getCredential(token.record.lookupId);
        expect(credential).toMatchObject({ secretHash: token.secretHash, name: token.record.name, status: 'ACTIVE' });
        expect(await trail()).toStrictEqual(['token.exchanged', 'federation_policy.created']);
      });

      it('issues nothing under a policy deleted or still pending, nor for an account leaving the directory', async () => {
        const gone = await made('p-1');
        await a.policies.delete(gone, event('federation_policy.deleted'));
        const issue = (from: StoredPolicy) => {
          const token = issued(from);
          return { token, done: a.exchanges.issue(token, from, event('token.exchanged', token.record.name)) };
        };
        const refused = issue(gone);
        await expect(refused.done).rejects.toThrow(PolicyNotFoundError);
        const pending = await made('p-2');
        await a.leavePending(pending);
        await expect(issue(pending).done).rejects.toThrow(PolicyNotFoundError);
        const live = await made('p-3');
        await a.retire(a.account.id);
        await expect(issue(live).done).rejects.toThrow(ServiceAccountNotFoundError);
        expect(await a.tokens.get(a.account.id, refused.token.record.name)).toBe(undefined);
        expect(await a.credentials.getCredential(refused.token.record.lookupId)).toBe(undefined);
        expect((await trail()).filter((type) => type === 'token.exchanged')).toStrictEqual([]);
      });

      it('refuses a token whose name is taken, writing nothing', async () => {
        const from = await made('p-1');
        const first = issued(from, 'same-name');
        await a.exchanges.issue(first, from, event('token.exchanged', 'same-name'));
        const second = issued(from, 'same-name');
        await expect(a.exchanges.issue(second, from, event('token.exchanged', 'same-name'))).rejects.toThrow(
          ConcurrentUpdateError,
        );
        expect(await a.credentials.getCredential(second.record.lookupId)).toBe(undefined);
        expect((await a.tokens.get(a.account.id, 'same-name'))?.lookupId).toBe(first.record.lookupId);
      });

      it('records a refused exchange as an event of its own', async () => {
        await a.exchanges.refused(event('token.exchange_refused'));
        expect(await trail()).toStrictEqual(['token.exchange_refused']);
      });
    });
  });
}
