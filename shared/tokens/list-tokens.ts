import { encodeCursor } from '../http/cursor.js';
import { isExpired, type TokenView, toTokenView } from '../kernel/model.js';
import type { Clock } from '../kernel/ports.js';
import type { TokenStore } from './ports.js';

export interface TokenListPage {
  tokens: TokenView[];
  nextToken: string | null;
}

/** A page of an account's tokens, by name. */
export async function listTokens(
  deps: { tokens: Pick<TokenStore, 'list'>; clock: Clock },
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
