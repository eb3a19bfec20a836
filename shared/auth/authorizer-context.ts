import { SourceIpNotAllowedError, UnauthorizedError } from '../kernel/errors.js';
import type { Caller } from '../kernel/model.js';
import { scopesFromText, scopeText, TOKEN_SCOPES } from '../kernel/restrictions.js';

/**
 * The one codec for what the authorizer tells the functions about the caller. API
 * Gateway passes an authorizer's `context` to the function as
 * `requestContext.authorizer`, and allows only strings, numbers and booleans in it (no
 * null, no objects), so each field has one flat encoding, written and read only here.
 */
export type AuthorizerContext = Record<string, string | number | boolean>;

export function encodeCaller(caller: Caller): AuthorizerContext {
  const context: AuthorizerContext = { userId: caller.userId, authenticatedBy: caller.authenticatedBy };
  if (caller.tokenName !== undefined) context.tokenName = caller.tokenName;
  // A token without a limit leaves maxRps out: null is not a value API Gateway passes on.
  if (caller.maxRps !== undefined && caller.maxRps !== null) context.maxRps = caller.maxRps;
  // Likewise an expiry: absent means the token never expires.
  if (caller.expiresAt !== undefined && caller.expiresAt !== null) context.expiresAt = caller.expiresAt;
  if (caller.secret !== undefined) context.secret = caller.secret;
  if (caller.authenticatedBy === 'ACCESS_TOKEN') {
    // For the services behind the authorizer too (docs/api.md): space-separated, as OAuth writes scopes.
    context.scopes = scopeText(caller.scopes ?? TOKEN_SCOPES);
    // Comma-separated networks; absent: the token may call from anywhere.
    if (caller.allowedCidrs) context.allowedCidrs = caller.allowedCidrs.join(',');
  }
  return context;
}

/**
 * A token presented outside its allowed networks. The authorizer allows the call, so that
 * it counts against the token's own rate limit (a Deny is answered before any usage plan
 * throttles), and hands on only this: no caller, so nothing can act for the token.
 * API Gateway answers every Deny as a 401 (shared/http/gateway-responses.ts), and this
 * refusal is a 403.
 */
export function encodeNetworkRefusal(sourceIp: string): AuthorizerContext {
  return { refusedFrom: sourceIp };
}

/**
 * Reads the caller back; a missing or malformed context is a wiring fault, refused as 401.
 * A network refusal is answered here, the one place every function reads its caller, so
 * no function can forget it: 403 SOURCE_IP_NOT_ALLOWED before anything else is done.
 */
export function decodeCaller(raw: unknown): Caller {
  const context = (typeof raw === 'object' && raw !== null ? raw : {}) as Record<string, unknown>;
  if (context.refusedFrom !== undefined) throw new SourceIpNotAllowedError(String(context.refusedFrom));
  const { userId, authenticatedBy } = context;
  if (
    typeof userId !== 'string' ||
    userId === '' ||
    (authenticatedBy !== 'JWT' && authenticatedBy !== 'ACCESS_TOKEN')
  ) {
    throw new UnauthorizedError();
  }
  const caller: Caller = { userId, authenticatedBy };
  if (typeof context.tokenName === 'string') caller.tokenName = context.tokenName;
  if (authenticatedBy === 'ACCESS_TOKEN') {
    // Locally the context passes through as is (a number); API Gateway hands it on as a string.
    const maxRps = context.maxRps;
    caller.maxRps = maxRps === undefined || maxRps === null || maxRps === '' ? null : Number(maxRps);
    caller.expiresAt = typeof context.expiresAt === 'string' && context.expiresAt !== '' ? context.expiresAt : null;
    // Which secret acted decides what the call may do: without it, the context is not ours.
    if (context.secret !== 'current' && context.secret !== 'previous') throw new UnauthorizedError();
    caller.secret = context.secret;
    // What the token may do decides too: without its scopes, the context is not ours either.
    const scopes = typeof context.scopes === 'string' ? scopesFromText(context.scopes) : undefined;
    if (scopes === undefined) throw new UnauthorizedError();
    caller.scopes = scopes;
    const cidrs = typeof context.allowedCidrs === 'string' ? context.allowedCidrs.split(',') : [];
    caller.allowedCidrs = cidrs.length > 0 && cidrs[0] !== '' ? cidrs : null;
  }
  return caller;
}
