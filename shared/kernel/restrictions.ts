/**
 * What a token may do (its scopes) and where from (its allowed networks): the two
 * restrictions a token may carry beyond its limit and expiry (docs/security.md, "Token
 * restrictions"). Both are opt-in: a token made without them has every scope and may
 * call from anywhere, as every token stored before they existed does.
 */

/**
 * - `tokens:read`: this service's reads (tokens, their events, whoami, the calling token,
 *   federation policies, the directory);
 * - `tokens:write`: this service's writes (create, change, rotate, delete tokens; delete
 *   and test federation policies);
 * - `api`: calls to the services behind the authorizer, which read the scopes from its
 *   context (docs/api.md, "The authorizer's context").
 */
export const TOKEN_SCOPES = ['tokens:read', 'tokens:write', 'api'] as const;
export type TokenScope = (typeof TOKEN_SCOPES)[number];

/** A token's restrictions: its scopes, and the networks it may call from (null: anywhere). */
export interface TokenRestrictions {
  scopes: TokenScope[];
  allowedCidrs: string[] | null;
}

/** No restriction: what a token made without any has, and one stored before restrictions existed. */
export const UNRESTRICTED: TokenRestrictions = { scopes: [...TOKEN_SCOPES], allowedCidrs: null };

function isScope(value: unknown): value is TokenScope {
  return (TOKEN_SCOPES as readonly unknown[]).includes(value);
}

/** Scopes in the documented order, without repeats: how they are stored and shown. */
export function orderedScopes(scopes: readonly TokenScope[]): TokenScope[] {
  return TOKEN_SCOPES.filter((scope) => scopes.includes(scope));
}

/** A stored item's restrictions: no `scopes` attribute is every scope (an item older than scopes). */
export function restrictionsOf(item: { scopes?: unknown; allowedCidrs?: unknown }): TokenRestrictions {
  const scopes = Array.isArray(item.scopes) ? orderedScopes(item.scopes.filter(isScope)) : UNRESTRICTED.scopes;
  const cidrs = Array.isArray(item.allowedCidrs)
    ? item.allowedCidrs.filter((cidr): cidr is string => typeof cidr === 'string')
    : null;
  return { scopes, allowedCidrs: cidrs };
}

/** Methods that only read (RFC 9110, safe methods). */
export const READ_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/**
 * The scope a call to one of this service's own routes needs: a read needs `tokens:read`,
 * anything else `tokens:write`. Decided by the method, like what a replaced secret may do,
 * so a route added later is covered without a word (a request without a method is a write).
 */
export function requiredScope(method: string | undefined): TokenScope {
  return READ_METHODS.has((method ?? '').toUpperCase()) ? 'tokens:read' : 'tokens:write';
}

/** Scopes as one string (OAuth's `scope` form, space-separated): how the authorizer's context carries them. */
export function scopeText(scopes: readonly TokenScope[]): string {
  return scopes.join(' ');
}

/** Reads `scopeText` back; undefined when it names something that is not a scope. */
export function scopesFromText(text: string): TokenScope[] | undefined {
  const words = text.split(' ').filter((word) => word !== '');
  return words.every(isScope) ? orderedScopes(words) : undefined;
}
