import {
  ConcurrentUpdateError,
  TokenLimitReachedError,
  TokenNotFoundError,
  ValidationError,
} from '../kernel/errors.js';
import { isExpired, type TokenRecord, type TokenView, toTokenView } from '../kernel/model.js';
import type { NewToken } from './ports.js';
import type { TokenBinding } from '../kernel/model.js';
import { type CallerLimits, checkWithinCallerLimits } from './caller-limits.js';
import { encodeCursor } from '../http/cursor.js';
import { bestEffort, boundKey, retryOnConflict, type TokenServiceDeps, writtenAnyway } from './deps.js';
import { fieldChanges, SERVICE_ORIGIN, tokenEvent, type ChangeOrigin, type TokenEvent } from '../kernel/events.js';

/** The token use cases: create, list and delete (update is in token-update.ts). They know nothing of HTTP or AWS. */

export interface CreateTokenInput {
  serviceAccountId: string;
  name: string;
  maxRps: number | null;
  expiresAt: string | null;
  createdBy: string;
  /** The calling token's own limits, when a token is the caller (see caller-limits.ts). */
  callerLimits?: CallerLimits;
  /** Who creates it, through which request: its `token.created` event records it. */
  origin?: ChangeOrigin;
  /** The account's incarnation, as read with it: the create lands on that account or not at all. */
  incarnation?: string | undefined;
}

export interface CreatedToken {
  view: TokenView;
  /** The whole token. Returned to the creator once; never stored, never logged. */
  token: string;
}

const DAY_MS = 86_400_000;

export async function createToken(deps: TokenServiceDeps, input: CreateTokenInput): Promise<CreatedToken> {
  const now = deps.clock();
  let expiresAt: string | null = null;
  if (input.expiresAt !== null) {
    const at = Date.parse(input.expiresAt);
    const problems = [];
    if (at <= now.getTime()) problems.push({ field: 'expiresAt', message: 'must be in the future' });
    if (at > now.getTime() + deps.policy.maxLifetimeDays * DAY_MS) {
      problems.push({ field: 'expiresAt', message: `must be at most ${deps.policy.maxLifetimeDays} days from now` });
    }
    if (problems.length > 0) throw new ValidationError(problems);
    expiresAt = new Date(at).toISOString();
  }
  checkWithinCallerLimits(input.callerLimits, { maxRps: input.maxRps, expiresAt });
  const minted = deps.ids.mintToken();
  const timestamp = now.toISOString();
  const record: TokenRecord = {
    serviceAccountId: input.serviceAccountId,
    name: input.name,
    lookupId: minted.lookupId,
    prefix: minted.prefix,
    status: 'ACTIVE',
    maxRps: input.maxRps,
    expiresAt,
    createdAt: timestamp,
    createdBy: input.createdBy,
    updatedAt: timestamp,
    lastUsedAt: null,
    rotatedAt: null,
    rotatedBy: null,
    previousSecret: null,
    ...(input.incarnation === undefined ? {} : { incarnation: input.incarnation }),
  };
  const created = tokenEvent(
    deps,
    'token.created',
    record,
    input.origin ?? SERVICE_ORIGIN,
    fieldChanges(undefined, record),
    now,
  );
  const removeAfter =
    expiresAt === null ? null : Math.ceil((Date.parse(expiresAt) + deps.policy.retentionDays * DAY_MS) / 1000);
  const newToken: NewToken = { record, secretHash: minted.secretHash, removeAfter };
  if (input.maxRps === null) {
    await storeNewToken(deps, newToken, created);
  } else {
    // The name and the account's limit are claimed first, so a refused create (a name
    // taken, the limit reached) makes no key and no usage plan; the key follows, and the
    // token becomes usable only with it. Nobody holds its secret until this returns.
    try {
      await storeNewToken(deps, { ...newToken, pendingSince: timestamp });
    } catch (error) {
      // DynamoDB may have committed the claim and still answered with an error: go on.
      if (!(await writtenAnyway(deps, record, (stored) => stored.lookupId === record.lookupId))) throw error;
    }
    // Its event is written when it is completed: a claim given up leaves no trace.
    await bindPending(deps, record, input.maxRps, created);
  }
  return { view: toTokenView(record, now), token: minted.token };
}

/**
 * Gives a claimed token its key. If the key cannot be made, or the token cannot be
 * completed, the claim goes (and the key with it): the request fails with nothing left.
 */
async function bindPending(
  deps: TokenServiceDeps,
  record: TokenRecord,
  maxRps: number,
  created: TokenEvent,
): Promise<void> {
  const discardClaim = () =>
    bestEffort(deps, `delete pending token ${record.lookupId}`, () => deps.tokens.delete(record));
  let binding: TokenBinding;
  try {
    binding = await deps.rateLimits.bind({ lookupId: record.lookupId, maxRps, enabled: true });
  } catch (error) {
    await discardClaim();
    throw error;
  }
  let completed: boolean;
  try {
    completed = await deps.tokens.completePending(record, binding, created);
  } catch (error) {
    // DynamoDB may have committed the write and still answered with an error.
    if (
      await writtenAnyway(
        deps,
        record,
        (stored) => stored.apiKeyId === binding.apiKeyId && stored.pendingSince === undefined,
      )
    )
      return;
    await bestEffort(deps, `delete key ${binding.apiKeyId} of a token that was not completed`, () =>
      deps.rateLimits.unbind(binding),
    );
    await discardClaim();
    throw error;
  }
  if (!completed) {
    // Deleted by someone else in the meantime: nothing to hand out.
    await bestEffort(deps, `delete key ${binding.apiKeyId} of a token deleted while it was made`, () =>
      deps.rateLimits.unbind(binding),
    );
    throw new ConcurrentUpdateError();
  }
}

async function storeNewToken(deps: TokenServiceDeps, newToken: NewToken, created?: TokenEvent): Promise<void> {
  try {
    await deps.tokens.create(newToken, deps.policy.limitPerAccount, created);
  } catch (error) {
    // The counter can run ahead of the stored tokens when DynamoDB TTL removes expired
    // ones; recount once and retry before refusing.
    if (
      !(error instanceof TokenLimitReachedError) ||
      !(await deps.tokens.reconcileCount(newToken.record.serviceAccountId))
    ) {
      throw error;
    }
    await deps.tokens.create(newToken, deps.policy.limitPerAccount, created);
  }
}

export interface TokenListPage {
  tokens: TokenView[];
  nextToken: string | null;
}

export async function listTokens(
  deps: TokenServiceDeps,
  serviceAccountId: string,
  limit: number,
  afterName?: string,
): Promise<TokenListPage> {
  const now = deps.clock();
  const page = await deps.tokens.list(serviceAccountId, limit, afterName);
  return {
    // A federated token is gone at its expiry (DynamoDB TTL removes its item later, lazily).
    tokens: page.tokens
      .filter((record) => !record.federation || !isExpired(record.expiresAt, now))
      .map((record) => toTokenView(record, now)),
    nextToken: page.lastName === undefined ? null : encodeCursor(page.lastName),
  };
}

export async function deleteToken(
  deps: TokenServiceDeps,
  serviceAccountId: string,
  name: string,
  origin: ChangeOrigin = SERVICE_ORIGIN,
): Promise<void> {
  await retryOnConflict(async () => {
    const current = await deps.tokens.get(serviceAccountId, name);
    if (!current) throw new TokenNotFoundError();
    // Table first: if the key's deletion then fails, what is left is a key no token names
    // (harmless, and reconcile deletes it), never a live token without its key. The delete
    // is conditional on the key read here, so the key deleted next is the token's last.
    await deps.tokens.delete(
      current,
      tokenEvent(deps, 'token.deleted', current, origin, fieldChanges(current, undefined)),
    );
    // A federated token presents its policy's key, which the policy's other tokens share.
    const bound = current.federation ? undefined : boundKey(current);
    if (bound)
      await bestEffort(deps, `delete key ${bound.apiKeyId} of a deleted token`, () => deps.rateLimits.unbind(bound));
  });
}
