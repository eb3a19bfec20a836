import type { MiddlewareObj } from '@middy/core';
import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from 'aws-lambda';
import {
  ForbiddenError,
  InsufficientScopeError,
  NotSameGroupError,
  PreviousSecretReadOnlyError,
  ServiceAccountNotFoundError,
  UnauthorizedError,
  UnsupportedMediaTypeError,
  ValidationError,
} from '../kernel/errors.js';
import { decodeCaller } from '../auth/authorizer-context.js';
import { type Caller, DIRECTORY_ID_PATTERN, type Principal } from '../kernel/model.js';
import { readJsonBody } from '../http/json-body.js';
import { pathParameter } from '../http/path-parameters.js';
import type { PrincipalLookup } from '../auth/ports.js';
import { READ_METHODS, requiredScope, TOKEN_SCOPES } from '../kernel/restrictions.js';

export type Scope = 'domain' | 'admin';

/** What every authenticated endpoint's stack establishes: the caller, checked. */
export interface CallerContext extends Context {
  caller: Caller;
}

/** What the authorization middlewares establish, handed on to validation and the handler. */
export interface AuthorizedContext extends CallerContext {
  /** The domain of a domain-path request. */
  domain?: string;
  serviceAccount: Principal;
  /** Loads started early so the caller's and the account's lookups run in parallel. */
  lookups: { caller: Promise<Principal | undefined>; target: Promise<Principal | undefined> | undefined };
  /** Why a body-borne service account id could not be read, reported at the target step. */
  targetProblem?: Error;
}

type Middleware = MiddlewareObj<APIGatewayProxyEvent, APIGatewayProxyResult, Error, AuthorizedContext>;

/** Reads the caller the authorizer established (API Gateway passes it in the request context). */
export function callerFromEvent(event: APIGatewayProxyEvent): Caller {
  return decodeCaller(event.requestContext?.authorizer);
}

/**
 * Establishes the caller and starts both directory lookups at once: the caller's and
 * the service account's. The checks that follow await them in the contract's order, so
 * nothing about the account is revealed before the permission check passes. With
 * `pastIncarnations` (the admin audit trail), an `incarnation` query parameter makes the
 * target the account as it was in that incarnation (its groups then), so the same checks
 * decide who may read a removed account's trail.
 */
export function callerContext(
  store: PrincipalLookup,
  targetFrom: 'path' | 'body',
  pastIncarnations = false,
): Middleware {
  return {
    before: (request) => {
      const { event, context } = request;
      context.caller = callerFromEvent(event);
      context.domain = pathParameter(event, 'domain');
      let targetId: string | undefined;
      if (targetFrom === 'path') {
        targetId = pathParameter(event, 'serviceAccountId');
      } else {
        const parsed = readJsonBody(event.body, event.headers?.['content-type']);
        const value = parsed.ok ? (parsed.value as { serviceAccountId?: unknown } | null | undefined) : undefined;
        const candidate = value && typeof value === 'object' ? value.serviceAccountId : undefined;
        targetId = typeof candidate === 'string' && candidate !== '' ? candidate : undefined;
        if (targetId === undefined) {
          context.targetProblem =
            !parsed.ok && parsed.error === 'media-type'
              ? new UnsupportedMediaTypeError()
              : new ValidationError([
                  !parsed.ok && parsed.error !== 'media-type'
                    ? parsed.error
                    : { field: 'serviceAccountId', message: 'is required and must be a non-empty string' },
                ]);
        }
      }
      const callerLookup = store.getPrincipal(context.caller.userId);
      const incarnation = pastIncarnations ? event.queryStringParameters?.incarnation : undefined;
      const lookup = (id: string) =>
        incarnation === undefined ? store.getPrincipal(id) : store.getIncarnation(id, incarnation);
      // A token acting on its own account (the usual case) reads that profile once, not twice
      // in parallel: the same item, as consistent. Every such call reads it, so this is what
      // bounds an account's tokens together (docs/performance.md, "What one token can reach").
      const ownAccount = targetId === context.caller.userId && incarnation === undefined;
      const targetLookup = targetId === undefined ? undefined : ownAccount ? callerLookup : lookup(targetId);
      // Both are awaited by later steps; this keeps an early refusal from leaving a
      // rejected promise unobserved.
      callerLookup.catch(() => undefined);
      targetLookup?.catch(() => undefined);
      context.lookups = { caller: callerLookup, target: targetLookup };
    },
  };
}

/**
 * A token acts only for a service account of the directory, and a JWT never does. Tokens
 * cannot outlive their account (the import deletes them first, and none can be created
 * for an account that is leaving), and the authorizer refuses JWTs naming service
 * accounts; both are checked again here, with the profile just read: an older version
 * may have left tokens, and the authorizer remembers account types for a few seconds.
 */
export function assertCredentialFitsPrincipal(caller: Caller, principal: Principal | undefined): void {
  const serviceAccount = principal?.type === 'SERVICE_ACCOUNT';
  const byToken = caller.authenticatedBy === 'ACCESS_TOKEN';
  if (byToken ? !serviceAccount : serviceAccount)
    throw new UnauthorizedError(byToken ? 'invalid-token' : 'invalid-jwt');
}

/**
 * A refusal that names the domain the caller asked for, so a mistyped one is seen at once.
 * It reads the same whether the domain exists or not (the caller is told only what it
 * typed), so it reveals no domain the caller cannot see; a name that is no directory id
 * is not repeated.
 */
export function inDomain(refusal: string, domain: string | undefined): string {
  const named = domain !== undefined && DIRECTORY_ID_PATTERN.test(domain) ? `domain "${domain}"` : 'this domain';
  return `${refusal} ${named}, or there is no such domain.`;
}

/** Methods that only read (RFC 9110, safe methods): all a replaced secret may call. */
const READS = READ_METHODS;

/**
 * A secret that a rotation replaced still authenticates during its grace period, so that
 * jobs can move over, but it may only read: its holder (a job not yet moved, or whoever
 * has a leaked copy) cannot rotate, change or delete a token, nor make, delete or test a
 * federation policy, so it can neither take the token from its owner nor leave anything
 * behind that outlives it. Decided by the method, the same way on every route (a route
 * added later is covered without a word); a request without a method is not a read.
 */
export function assertSecretMayAct(caller: Caller, method: string | undefined): void {
  if (caller.secret === 'previous' && !READS.has((method ?? '').toUpperCase())) throw new PreviousSecretReadOnlyError();
}

/**
 * A token acts on this service's routes only with the scope the call needs (`tokens:read`
 * to read, `tokens:write` for anything else: `requiredScope`), on every route, the same way
 * as a replaced secret's reads. People are not bound by scopes: they are not tokens.
 */
export function assertScope(caller: Caller, method: string | undefined): void {
  if (caller.authenticatedBy !== 'ACCESS_TOKEN') return;
  const needed = requiredScope(method);
  if (!(caller.scopes ?? TOKEN_SCOPES).includes(needed)) throw new InsufficientScopeError(needed);
}

/**
 * Step 1: the credential may act here (it fits its principal; a replaced secret only
 * reads; a token has the scope), and the caller may manage tokens here (docs/directory.md, "Who may manage tokens").
 */
export function permissionCheck(scope: Scope): Middleware {
  return {
    before: async ({ event, context }) => {
      const caller = await context.lookups.caller;
      assertCredentialFitsPrincipal(context.caller, caller);
      assertSecretMayAct(context.caller, event.httpMethod);
      assertScope(context.caller, event.httpMethod);
      const allowed =
        caller !== undefined &&
        (scope === 'admin'
          ? caller.adminRoles.length > 0
          : context.domain !== undefined && caller.tokenManagerIn.includes(context.domain));
      if (!allowed)
        throw new ForbiddenError(
          scope === 'admin'
            ? undefined
            : inDomain('You do not have permission to manage access tokens in', context.domain),
        );
    },
  };
}

/** Step 2: the target exists, is a service account and, on domain paths, belongs to the domain. */
export function targetServiceAccountCheck(scope: Scope): Middleware {
  return {
    before: async ({ context }) => {
      if (context.targetProblem) throw context.targetProblem;
      if (context.lookups.target === undefined) throw new ServiceAccountNotFoundError();
      const target = await context.lookups.target;
      const belongs = scope === 'admin' || (context.domain !== undefined && target?.domains.includes(context.domain));
      if (target?.type !== 'SERVICE_ACCOUNT' || !belongs) throw new ServiceAccountNotFoundError();
      context.serviceAccount = target;
    },
  };
}

/** Step 3: caller and service account share a group, in every context, admins included. */
export function sameGroupCheck(): Middleware {
  return {
    before: async ({ context }) => {
      const caller = await context.lookups.caller;
      const groups = new Set(caller?.groups ?? []);
      if (!context.serviceAccount.groups.some((group) => groups.has(group))) throw new NotSameGroupError();
    },
  };
}
