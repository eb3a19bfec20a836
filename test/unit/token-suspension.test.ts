import { describe, expect, it } from '@jest/globals';
import { toTokenView } from '../../shared/kernel/model.js';
import { toStoredToken } from '../../shared/tokens/token-items.js';

/**
 * Why a token is suspended, as stored items read: written with every suspension since the
 * field exists; a token suspended before has none, and says so with null (its audit
 * trail may still tell), as does an item whose field is not one the service writes.
 */
const item = (fields: Record<string, unknown>) => ({
  pk: 'SA#sa-etl',
  sk: 'TOKEN#nightly',
  serviceAccountId: 'sa-etl',
  name: 'nightly',
  lookupId: 'abc',
  prefix: 'iomsat_abc',
  status: 'SUSPENDED',
  maxRps: null,
  expiresAt: null,
  createdAt: '2026-01-01T00:00:00.000Z',
  createdBy: 'alice',
  updatedAt: '2026-01-02T00:00:00.000Z',
  lastUsedAt: null,
  rotatedAt: null,
  rotatedBy: null,
  previousSecret: null,
  ...fields,
});
const now = new Date('2026-02-01T00:00:00.000Z');
const why = { reason: 'UNUSED', at: '2026-01-02T00:00:00.000Z', by: null, byToken: null, unusedDays: 90 };

describe('a token’s suspension', () => {
  it('is read from the item while the token is suspended', () => {
    expect(toTokenView(toStoredToken(item({ suspension: why })), now).suspension).toStrictEqual(why);
  });

  it('is null for a suspension older than the field, and for a field the service never writes', () => {
    for (const suspension of [undefined, null, 'MANUAL', { reason: 'BORED' }, []])
      expect(toTokenView(toStoredToken(item({ suspension })), now).suspension).toBe(null);
  });

  it('is null on an active token, whatever the item holds', () => {
    expect(toTokenView(toStoredToken(item({ status: 'ACTIVE', suspension: why })), now).suspension).toBe(null);
  });
});
