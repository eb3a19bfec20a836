import { mintToken } from '../token-format.js';
import { type TokenRecord, type TokenStatus, type TokenView, toTokenView } from '../model.js';
import { TokenLimitReachedError, TokenNotFoundError, ValidationError } from '../errors.js';
import type { TokenChanges, TokenStore } from '../store/token-store.js';

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
  const newToken = { record, secretHash: minted.secretHash, removeAfter };
  try {
    await deps.tokens.create(newToken, deps.policy.limitPerAccount);
  } catch (error) {
    // The counter can run ahead of the stored tokens when DynamoDB TTL removes expired
    // ones; recount once and retry before refusing.
    if (!(error instanceof TokenLimitReachedError) || !(await deps.tokens.reconcileCount(input.serviceAccountId))) {
      throw error;
    }
    await deps.tokens.create(newToken, deps.policy.limitPerAccount);
  }
  return { view: toTokenView(record, now), token: minted.token };
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
  const current = await deps.tokens.get(serviceAccountId, name);
  if (!current) throw new TokenNotFoundError();
  const effective: TokenChanges = {};
  if (changes.status !== undefined) effective.status = changes.status;
  if (changes.maxRps !== undefined) effective.maxRps = changes.maxRps;
  const updated = await deps.tokens.update(current, effective, now.toISOString());
  return toTokenView(updated, now);
}

export async function deleteToken(deps: TokenServiceDeps, serviceAccountId: string, name: string): Promise<void> {
  const current = await deps.tokens.get(serviceAccountId, name);
  if (!current) throw new TokenNotFoundError();
  await deps.tokens.delete(current);
}
