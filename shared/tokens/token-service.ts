import { mintToken } from '../token-format.js';
import { isExpired, type TokenRecord, type TokenStatus, type TokenView, toTokenView } from '../model.js';
import { ConcurrentUpdateError, TokenLimitReachedError, TokenNotFoundError, ValidationError } from '../errors.js';
import type { ApiKeyBinder, CompensationFailureReport } from '../ratelimit/api-key-binder.js';
import type { NewToken, TokenBinding, TokenChanges, TokenStore } from '../store/token-store.js';

/** The token use cases. They take their store as a parameter and know nothing of HTTP or AWS. */

export interface TokenPolicy {
  limitPerAccount: number;
  maxLifetimeDays: number;
  retentionDays: number;
}

export interface TokenServiceDeps {
  tokens: TokenStore;
  policy: TokenPolicy;
  now?: () => Date;
  /**
   * Keeps API Gateway's keys and usage plans in step with the tokens (AWS). Absent
   * locally, where the local gateway throttles by the token's `maxRps` itself.
   */
  apiKeys?: ApiKeyBinder;
  /** Told when undoing half of a change failed; reconcile repairs what it left. */
  onCompensationFailure?: CompensationFailureReport;
}

export interface CreateTokenInput {
  serviceAccountId: string;
  name: string;
  maxRps: number | null;
  expiresAt: string | null;
  createdBy: string;
}

export interface CreatedToken {
  view: TokenView;
  /** The whole token. Returned to the creator once; never stored, never logged. */
  token: string;
}

const DAY_MS = 86_400_000;

export async function createToken(deps: TokenServiceDeps, input: CreateTokenInput): Promise<CreatedToken> {
  const now = (deps.now ?? (() => new Date()))();
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
  const minted = mintToken();
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
  };
  const removeAfter =
    expiresAt === null ? null : Math.ceil((Date.parse(expiresAt) + deps.policy.retentionDays * DAY_MS) / 1000);
  // The key is bound before the token is stored, so a token is never usable without it;
  // if storing fails, the key goes again.
  const apiKeys = deps.apiKeys;
  const binding =
    apiKeys && input.maxRps !== null ? await apiKeys.bind({ lookupId: minted.lookupId, maxRps: input.maxRps, enabled: true }) : undefined;
  const newToken: NewToken = { record, secretHash: minted.secretHash, removeAfter, ...(binding ? { binding } : {}) };
  try {
    await storeNewToken(deps, newToken);
  } catch (error) {
    if (apiKeys && binding && !(await writtenAnyway(deps, record, (stored) => stored.lookupId === record.lookupId))) {
      await bestEffort(deps, `delete key ${binding.apiKeyId} of a token that was not stored`, () => apiKeys.unbind(binding));
    }
    throw error;
  }
  return { view: toTokenView(record, now), token: minted.token };
}

async function storeNewToken(deps: TokenServiceDeps, newToken: NewToken): Promise<void> {
  try {
    await deps.tokens.create(newToken, deps.policy.limitPerAccount);
  } catch (error) {
    // The counter can run ahead of the stored tokens when DynamoDB TTL removes expired
    // ones; recount once and retry before refusing.
    if (!(error instanceof TokenLimitReachedError) || !(await deps.tokens.reconcileCount(newToken.record.serviceAccountId))) {
      throw error;
    }
    await deps.tokens.create(newToken, deps.policy.limitPerAccount);
  }
}

/**
 * Runs an undo or clean-up step whose failure must not replace the request's outcome:
 * the failure is reported, and reconcile removes what the step left behind.
 */
async function bestEffort(deps: TokenServiceDeps, step: string, action: () => Promise<void>): Promise<void> {
  try {
    await action();
  } catch (error) {
    deps.onCompensationFailure?.(error, step);
  }
}

/**
 * After a failed table write: whether it took effect all the same (DynamoDB may commit a
 * transaction and still answer with an error). Undoing the API Gateway side of a write
 * that went through would leave a token without its key, so when the answer cannot be
 * read either, the write counts as done: at worst a key is left over, for reconcile.
 */
async function writtenAnyway(
  deps: TokenServiceDeps,
  token: TokenRecord,
  took: (stored: TokenRecord & Partial<TokenBinding>) => boolean,
): Promise<boolean> {
  try {
    const stored = await deps.tokens.get(token.serviceAccountId, token.name);
    return stored !== undefined && stored.lookupId === token.lookupId && took(stored);
  } catch {
    return true;
  }
}

function boundKey(token: Partial<TokenBinding>): TokenBinding | undefined {
  return token.apiKeyId !== undefined && token.usageKey !== undefined ? { apiKeyId: token.apiKeyId, usageKey: token.usageKey } : undefined;
}

export interface TokenListPage {
  tokens: TokenView[];
  nextToken: string | null;
}

/** Cursors carry only the last name; the account comes from the request, so a cursor cannot reach another account. */
export function encodeCursor(lastName: string): string {
  return Buffer.from(JSON.stringify({ after: lastName }), 'utf8').toString('base64url');
}

export function decodeCursor(cursor: string): string | undefined {
  try {
    const value = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as unknown;
    if (typeof value === 'object' && value !== null && typeof (value as { after?: unknown }).after === 'string') {
      return (value as { after: string }).after;
    }
  } catch {
    // fall through: not a cursor of ours
  }
  return undefined;
}

export async function listTokens(
  deps: TokenServiceDeps,
  serviceAccountId: string,
  limit: number,
  afterName?: string,
): Promise<TokenListPage> {
  const now = (deps.now ?? (() => new Date()))();
  const page = await deps.tokens.list(serviceAccountId, limit, afterName);
  return {
    tokens: page.tokens.map((record) => toTokenView(record, now)),
    nextToken: page.lastName === undefined ? null : encodeCursor(page.lastName),
  };
}

export async function updateToken(
  deps: TokenServiceDeps,
  serviceAccountId: string,
  name: string,
  changes: { status?: TokenStatus; maxRps?: number | null },
): Promise<TokenView> {
  const now = (deps.now ?? (() => new Date()))();
  const effective: TokenChanges = {};
  if (changes.status !== undefined) effective.status = changes.status;
  if (changes.maxRps !== undefined) effective.maxRps = changes.maxRps;
  const updatedAt = now.toISOString();
  const apiKeys = deps.apiKeys;
  if (!apiKeys) {
    const current = await deps.tokens.get(serviceAccountId, name);
    if (!current) throw new TokenNotFoundError();
    return toTokenView(await deps.tokens.update(current, effective, updatedAt), now);
  }
  const updated = await retryOnConflict(async () => {
    const current = await deps.tokens.get(serviceAccountId, name);
    if (!current) throw new TokenNotFoundError();
    return updateInStep(deps, apiKeys, current, effective, now);
  });
  return toTokenView(updated, now);
}

/**
 * One attempt at a change with API Gateway in step. The table write is conditional on the
 * token being as read (`onlyIfUnchanged`), because a new key is made on the strength of
 * that read; a concurrent change makes the attempt undo its API Gateway side and fail
 * with ConcurrentUpdateError, and the caller tries again from a fresh read.
 */
async function updateInStep(
  deps: TokenServiceDeps,
  apiKeys: ApiKeyBinder,
  current: TokenRecord & Partial<TokenBinding>,
  effective: TokenChanges,
  now: Date,
): Promise<TokenRecord> {
  const updatedAt = now.toISOString();
  const bound = boundKey(current);
  const status = effective.status ?? current.status;
  const maxRps = effective.maxRps === undefined ? current.maxRps : effective.maxRps;
  const guarded: TokenChanges = { ...effective, onlyIfUnchanged: true };
  if (maxRps !== current.maxRps) {
    // A new limit gets a new key rather than moving the old one: API Gateway lets a key be
    // in only one plan per stage, so a move leaves it in none for a moment and the token's
    // calls are refused. The new key is swapped in by the table write (the authorizer reads
    // the key there on every call); the old one is deleted after.
    const enabled = keyEnabled({ status, expiresAt: current.expiresAt }, now);
    const next = maxRps === null ? null : await apiKeys.bind({ lookupId: current.lookupId, maxRps, enabled });
    const deleteOld = async () => {
      if (bound) await bestEffort(deps, `delete key ${bound.apiKeyId} replaced by a limit change`, () => apiKeys.unbind(bound));
    };
    let updated: TokenRecord;
    try {
      updated = await deps.tokens.update(current, { ...guarded, binding: next }, updatedAt);
    } catch (error) {
      if (await writtenAnyway(deps, current, (stored) => stored.maxRps === maxRps && stored.apiKeyId === next?.apiKeyId)) {
        await deleteOld();
      } else if (next) {
        await bestEffort(deps, `delete key ${next.apiKeyId} of a limit change that was not stored`, () => apiKeys.unbind(next));
      }
      throw error;
    }
    await deleteOld();
    return updated;
  }
  let updated: TokenRecord;
  try {
    updated = await deps.tokens.update(current, guarded, updatedAt);
  } catch (error) {
    if (bound && status !== current.status && (await writtenAnyway(deps, current, (stored) => stored.status === status))) {
      await convergeKey(deps, apiKeys, current, now);
    }
    throw error;
  }
  // A token without a limit has no key of its own: its suspension is enforced by the
  // authorizer alone, as the shared unthrottled key cannot be disabled for one token.
  if (bound && status !== current.status) await convergeKey(deps, apiKeys, current, now);
  return updated;
}

/** A token's own key is enabled exactly while the token may be used. */
function keyEnabled(token: Pick<TokenRecord, 'status' | 'expiresAt'>, now: Date): boolean {
  return token.status === 'ACTIVE' && !isExpired(token.expiresAt, now);
}

/** Passes before a key still changing under concurrent writes is left to those writers and to reconcile. */
const CONVERGE_PASSES = 3;

/**
 * Sets the token's key to match the token as stored now, after a status write. The table
 * write comes first and the key follows, so there is nothing to undo in API Gateway if the
 * write fails. Concurrent writers may set the key in any order: each re-reads the token
 * after setting it and goes again if the token changed meanwhile, so the pass of the last
 * writer ends with the key matching the last write. A key that cannot be set leaves the
 * token's own status in force (the authorizer refuses a suspended token on every call)
 * and is reported for reconcile; the request keeps its outcome.
 */
async function convergeKey(deps: TokenServiceDeps, apiKeys: ApiKeyBinder, token: TokenRecord, now: Date): Promise<void> {
  let failure: unknown;
  for (let pass = 0; pass < CONVERGE_PASSES; pass++) {
    try {
      const seen = await deps.tokens.get(token.serviceAccountId, token.name);
      const key = seen && seen.lookupId === token.lookupId ? boundKey(seen) : undefined;
      if (!seen || !key) return;
      await apiKeys.setEnabled(key, keyEnabled(seen, now));
      const check = await deps.tokens.get(token.serviceAccountId, token.name);
      if (!check || (check.lookupId === seen.lookupId && check.status === seen.status && check.apiKeyId === seen.apiKeyId)) return;
      failure = undefined;
    } catch (error) {
      failure = error;
    }
  }
  if (failure !== undefined) deps.onCompensationFailure?.(failure, `set the enabled state of the key of token ${token.lookupId}`);
}

/** Attempts before a concurrent change is reported to the client as a 409. */
const ATTEMPTS_ON_CONFLICT = 3;

async function retryOnConflict<T>(attempt: () => Promise<T>): Promise<T> {
  for (let i = 1; ; i++) {
    try {
      return await attempt();
    } catch (error) {
      if (!(error instanceof ConcurrentUpdateError) || i >= ATTEMPTS_ON_CONFLICT) throw error;
    }
  }
}

export async function deleteToken(deps: TokenServiceDeps, serviceAccountId: string, name: string): Promise<void> {
  const apiKeys = deps.apiKeys;
  const attempt = async () => {
    const current = await deps.tokens.get(serviceAccountId, name);
    if (!current) throw new TokenNotFoundError();
    // Table first: if the key's deletion then fails, what is left is a key no token names
    // (harmless, and reconcile deletes it), never a live token without its key. The delete
    // is conditional on the key read here, so the key deleted next is the token's last.
    await deps.tokens.delete(current);
    const bound = boundKey(current);
    if (apiKeys && bound) await bestEffort(deps, `delete key ${bound.apiKeyId} of a deleted token`, () => apiKeys.unbind(bound));
  };
  await (apiKeys ? retryOnConflict(attempt) : attempt());
}
