import type { Config } from '../kernel/config.js';
import { ConcurrentUpdateError, TokenLimitReachedError, ValidationError } from '../kernel/errors.js';
import { type ChangeOrigin, fieldChanges, SERVICE_ORIGIN, type TokenEvent, tokenEvent } from '../kernel/events.js';
import type { TokenBinding, TokenRecord, TokenView } from '../kernel/model.js';
import { toTokenView } from '../kernel/model.js';
import type { Clock, CompensationFailureReport, IdGenerator } from '../kernel/ports.js';
import { type CallerLimits, checkWithinCallerLimits } from './caller-limits.js';
import { TOKEN_SCOPES, type TokenScope } from '../kernel/restrictions.js';
import { checkNetworksRequired } from './required-networks.js';
import type { NewToken, RateLimits, StoredToken, TokenStore } from './ports.js';

/** What making a token uses: its store, the rate limiter that gives it a key, and the deployment's rules. */
export interface CreateTokenDeps {
  tokens: TokenStore;
  rateLimits: RateLimits;
  clock: Clock;
  ids: IdGenerator;
  onCompensationFailure?: CompensationFailureReport;
  config: {
    tokens: Pick<Config['tokens'], 'limitPerAccount' | 'maxLifetimeDays' | 'retentionDays'> &
      Partial<Pick<Config['tokens'], 'requireAllowedCidrs'>>;
  };
}

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
  /** What it may do (absent: every scope) and where from (absent or null: anywhere). */
  scopes?: TokenScope[];
  allowedCidrs?: string[] | null;
  /** One of the account's domains requires `allowedCidrs` on its new tokens (Principal.requireAllowedCidrs). */
  accountRequiresCidrs?: boolean;
}

export interface CreatedToken {
  view: TokenView;
  /** The whole token. Returned to the creator once; never stored, never logged. */
  token: string;
}

const DAY_MS = 86_400_000;

/** Makes a token for a service account, with its key when it has a limit. It knows nothing of HTTP or AWS. */
export async function createToken(deps: CreateTokenDeps, input: CreateTokenInput): Promise<CreatedToken> {
  const now = deps.clock();
  const { maxLifetimeDays, retentionDays } = deps.config.tokens;
  let expiresAt: string | null = null;
  if (input.expiresAt !== null) {
    const at = Date.parse(input.expiresAt);
    const problems = [];
    if (at <= now.getTime()) problems.push({ field: 'expiresAt', message: 'must be in the future' });
    if (at > now.getTime() + maxLifetimeDays * DAY_MS) {
      problems.push({ field: 'expiresAt', message: `must be at most ${maxLifetimeDays} days from now` });
    }
    if (problems.length > 0) throw new ValidationError(problems);
    expiresAt = new Date(at).toISOString();
  }
  const restrictions = { scopes: input.scopes ?? [...TOKEN_SCOPES], allowedCidrs: input.allowedCidrs ?? null };
  checkNetworksRequired(
    deps.config.tokens.requireAllowedCidrs === true,
    input.accountRequiresCidrs,
    restrictions.allowedCidrs,
  );
  checkWithinCallerLimits(input.callerLimits, { maxRps: input.maxRps, expiresAt, ...restrictions });
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
    ...restrictions,
  };
  const origin = input.origin ?? SERVICE_ORIGIN;
  const created = tokenEvent(deps, 'token.created', record, origin, fieldChanges(undefined, record), now);
  const removeAfter = expiresAt === null ? null : Math.ceil((Date.parse(expiresAt) + retentionDays * DAY_MS) / 1000);
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
 * An undo that fails is reported, not thrown: reconcile removes what it left.
 */
async function bindPending(deps: CreateTokenDeps, record: TokenRecord, maxRps: number, created: TokenEvent) {
  const report = (step: string) => (error: unknown) => deps.onCompensationFailure?.(error, step);
  const discardClaim = () => deps.tokens.delete(record).catch(report(`delete pending token ${record.lookupId}`));
  let binding: TokenBinding;
  try {
    binding = await deps.rateLimits.bind({ lookupId: record.lookupId, maxRps, enabled: true });
  } catch (error) {
    await discardClaim();
    throw error;
  }
  const unbind = (why: string) =>
    deps.rateLimits.unbind(binding).catch(report(`delete key ${binding.apiKeyId} of a token ${why}`));
  let completed: boolean;
  try {
    completed = await deps.tokens.completePending(record, binding, created);
  } catch (error) {
    // DynamoDB may have committed the write and still answered with an error.
    const done = (stored: StoredToken) => stored.apiKeyId === binding.apiKeyId && stored.pendingSince === undefined;
    if (await writtenAnyway(deps, record, done)) return;
    await unbind('that was not completed');
    await discardClaim();
    throw error;
  }
  if (!completed) {
    // Deleted by someone else in the meantime: nothing to hand out.
    await unbind('deleted while it was made');
    throw new ConcurrentUpdateError();
  }
}

/**
 * After a failed table write: whether it took effect all the same (DynamoDB may commit a
 * transaction and still answer with an error). Undoing the key of a token that was
 * stored would leave it without one, so when the answer cannot be read either, the write
 * counts as done: at worst a key is left over, for reconcile.
 */
async function writtenAnyway(deps: CreateTokenDeps, token: TokenRecord, took: (stored: StoredToken) => boolean) {
  try {
    const stored = await deps.tokens.get(token.serviceAccountId, token.name);
    return stored !== undefined && stored.lookupId === token.lookupId && took(stored);
  } catch {
    return true;
  }
}

async function storeNewToken(deps: CreateTokenDeps, newToken: NewToken, created?: TokenEvent): Promise<void> {
  const limit = deps.config.tokens.limitPerAccount;
  try {
    await deps.tokens.create(newToken, limit, created);
  } catch (error) {
    // The counter can run ahead of the stored tokens when DynamoDB TTL removes expired
    // ones; recount once and retry before refusing.
    if (
      !(error instanceof TokenLimitReachedError) ||
      !(await deps.tokens.reconcileCount(newToken.record.serviceAccountId))
    ) {
      throw error;
    }
    await deps.tokens.create(newToken, limit, created);
  }
}
