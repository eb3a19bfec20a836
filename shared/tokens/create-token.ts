import type { Config } from '../kernel/config.js';
import { TokenLimitReachedError, ValidationError } from '../kernel/errors.js';
import { type ChangeOrigin, fieldChanges, SERVICE_ORIGIN, type TokenEvent, tokenEvent } from '../kernel/events.js';
import type { TokenRecord, TokenView } from '../kernel/model.js';
import { toTokenView } from '../kernel/model.js';
import type { Clock, CompensationFailureReport, IdGenerator } from '../kernel/ports.js';
import { type CallerLimits, checkWithinCallerLimits } from './caller-limits.js';
import { TOKEN_SCOPES, type TokenScope } from '../kernel/restrictions.js';
import { checkNetworksRequired } from './required-networks.js';
import { type NewToken, type RateLimits, type TokenStore, tokenKeyOwner } from './ports.js';

/** What making a token uses: its store, the key worker told of its limit, and the deployment's rules. */
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

/**
 * Makes a token for a service account; one with a limit is usable at once, and its own key
 * follows (the key worker's). It knows nothing of HTTP or AWS.
 */
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
  await storeNewToken(deps, newToken, created);
  // Until the key worker has made its own key, the token presents its rate tier's pooled
  // key, never none; a message that is lost leaves a token reconcile finds without a key.
  if (input.maxRps !== null) {
    await deps.rateLimits.keyChanged(tokenKeyOwner(record)).catch((error: unknown) => {
      deps.onCompensationFailure?.(error, `queue the key of token ${record.lookupId}`);
    });
  }
  return { view: toTokenView(record, now), token: minted.token };
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
