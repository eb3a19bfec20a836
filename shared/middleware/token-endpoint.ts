import middy, { type MiddlewareObj } from '@middy/core';
import httpHeaderNormalizer from '@middy/http-header-normalizer';
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import type { FieldError } from '../kernel/errors.js';
import { BODY_LIMIT_BYTES, bodyLimit } from '../http/body-limit.js';
import type { Caller } from '../kernel/model.js';
import type { PrincipalLookup } from '../auth/ports.js';
import {
  assertScope,
  assertSecretMayAct,
  type AuthorizedContext,
  type CallerContext,
  callerContext,
  callerFromEvent,
  permissionCheck,
  type Scope,
  sameGroupCheck,
  targetServiceAccountCheck,
} from './authorization.js';
import { type Observability, observability } from '../http/observability.js';
import { problemErrors } from './problem-errors.js';
import { validatedInput } from './validated-input.js';

/** What every endpoint's stack needs: logs and metrics, and the caller's principal. */
export interface EndpointDeps extends Observability {
  directory: PrincipalLookup;
}

export interface TokenEndpointContext<TInput> extends AuthorizedContext {
  input: TInput;
}

export interface TokenEndpointOptions<TInput> {
  scope: Scope;
  /** Where the service account id comes from: the path, or (deprecated create) the body. */
  targetFrom?: 'path' | 'body';
  /** Reads and checks path, query and body, pushing every problem onto `errors`. */
  input: (event: APIGatewayProxyEvent, errors: FieldError[]) => TInput;
  /** A refusal of callers this operation is not for, once the checks above pass and before validation. */
  refuseCaller?: CallerRefusal;
  /** The target may be a past incarnation of the account, named by the `incarnation` query parameter. */
  pastIncarnations?: boolean;
}

/**
 * The one Middy stack of every token endpoint, in the contract's order:
 * observability → body limit → header normalisation → caller → permission → target
 * service account → same group → (the operation's own refusal of a caller) → validation →
 * handler, with errors mapped to problem JSON last.
 * Entry files attach their handler with `.handler(…)`.
 */
export function tokenEndpoint<TInput>(deps: EndpointDeps, options: TokenEndpointOptions<TInput>) {
  return middy<APIGatewayProxyEvent, APIGatewayProxyResult, Error, TokenEndpointContext<TInput>>()
    .use(observability(deps))
    .use(bodyLimit(BODY_LIMIT_BYTES))
    .use(httpHeaderNormalizer())
    .use(callerContext(deps.directory, options.targetFrom ?? 'path', options.pastIncarnations === true))
    .use(permissionCheck(options.scope))
    .use(targetServiceAccountCheck(options.scope))
    .use(sameGroupCheck())
    .use(callerRefusal(options.refuseCaller))
    .use(validatedInput(options.input))
    .use(problemErrors(deps.logger));
}

type CallerRefusal = (caller: Caller) => Error | undefined;

// biome-ignore lint/suspicious/noExplicitAny: Middy types a middleware by its stack's context; any stack fits
type Middleware = MiddlewareObj<APIGatewayProxyEvent, APIGatewayProxyResult, Error, any>;

function callerRefusal(refuse: CallerRefusal | undefined): Middleware {
  return {
    before: ({ context }) => {
      const refusal = refuse?.((context as AuthorizedContext).caller);
      if (refusal) throw refusal;
    },
  };
}

/**
 * The stack of endpoints that need only an authenticated caller (whoami); a replaced secret
 * only reads here too, and a token needs the scope of the call.
 */
export function authenticatedEndpoint(deps: Observability) {
  return middy<APIGatewayProxyEvent, APIGatewayProxyResult, Error, CallerContext>()
    .use(observability(deps))
    .use(bodyLimit(BODY_LIMIT_BYTES))
    .use(httpHeaderNormalizer())
    .use({
      // Read once, here: the handler takes it from the context.
      before: ({ event, context }) => {
        const caller = callerFromEvent(event);
        assertSecretMayAct(caller, event.httpMethod);
        assertScope(caller, event.httpMethod);
        context.caller = caller;
      },
    })
    .use(problemErrors(deps.logger));
}
