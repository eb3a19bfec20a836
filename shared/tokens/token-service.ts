import { TokenLimitReachedError, TokenNotFoundError, ValidationError } from '../kernel/errors.js';
import {
  type ChangeOrigin,
  isExpired,
  type TokenEvent,
  type TokenRecord,
  type TokenView,
  toTokenView,
} from '../kernel/model.js';
import type { NewToken } from './ports.js';
import { type CallerLimits, checkWithinCallerLimits } from './caller-limits.js';
import { encodeCursor } from '../http/cursor.js';
import { bestEffort, keyOwner, retryOnConflict, type TokenServiceDeps } from './deps.js';
import { fieldChanges, SERVICE_ORIGIN, tokenEvent } from '../kernel/events.js';

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
  await storeNewToken(deps, newToken, created);
  // Usable at once: until the key worker has made its own key, the token presents its
  // rate tier's pooled key, never none.
  if (input.maxRps !== null) {
    await bestEffort(deps, `queue the key of token ${record.lookupId}`, () =>
      deps.rateLimits.keyChanged(keyOwner(record)),
    );
  }
  return { view: toTokenView(record, now), token: minted.token };
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
    // Table first: the token is refused from its next request, whatever becomes of its key.
    // The delete is conditional on the key read here, so the key the worker deletes is the
    // token's last; one it never deletes (the message lost) is an orphan reconcile finds.
    await deps.tokens.delete(
      current,
      tokenEvent(deps, 'token.deleted', current, origin, fieldChanges(current, undefined)),
    );
    // A federated token presents its policy's key, which the policy's other tokens share.
    const { apiKeyId } = current;
    if (apiKeyId !== undefined && !current.federation) {
      await bestEffort(deps, `queue the deletion of key ${apiKeyId} of a deleted token`, () =>
        deps.rateLimits.keyChanged(keyOwner(current), apiKeyId),
      );
    }
  });
}
