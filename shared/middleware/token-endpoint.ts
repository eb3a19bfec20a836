import middy from '@middy/core';
import httpHeaderNormalizer from '@middy/http-header-normalizer';
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import type { FieldError } from '../errors.js';
import { BODY_LIMIT_BYTES, bodyLimit } from '../http/body-limit.js';
import type { Runtime } from '../runtime.js';
import {
  type AuthorizedContext,
  callerContext,
  permissionCheck,
  type Scope,
  sameGroupCheck,
  targetServiceAccountCheck,
} from './authorization.js';
import { observability } from './observability.js';
import { problemErrors } from './problem-errors.js';
import { validatedInput } from './validated-input.js';

export interface TokenEndpointContext<TInput> extends AuthorizedContext {
  input: TInput;
}

export interface TokenEndpointOptions<TInput> {
  scope: Scope;
  /** Where the service account id comes from: the path, or (deprecated create) the body. */
  targetFrom?: 'path' | 'body';
  /** Reads and checks path, query and body, pushing every problem onto `errors`. */
  input: (event: APIGatewayProxyEvent, errors: FieldError[]) => TInput;
  /** The target may be a past incarnation of the account, named by the `incarnation` query parameter. */
  pastIncarnations?: boolean;
}

/**
 * The one Middy stack of every token endpoint, in the contract's order:
 * observability → body limit → header normalisation → caller → permission → target
 * service account → same group → validation → handler, with errors mapped to problem JSON
 * last.
 * Entry files attach their handler with `.handler(…)`.
 */
export function tokenEndpoint<TInput>(runtime: Runtime, options: TokenEndpointOptions<TInput>) {
  return middy<APIGatewayProxyEvent, APIGatewayProxyResult, Error, TokenEndpointContext<TInput>>()
    .use(observability(runtime))
    .use(bodyLimit(BODY_LIMIT_BYTES))
    .use(httpHeaderNormalizer())
    .use(callerContext(runtime.directory, options.targetFrom ?? 'path', options.pastIncarnations === true))
    .use(permissionCheck(options.scope))
    .use(targetServiceAccountCheck(options.scope))
    .use(sameGroupCheck())
    .use(validatedInput(options.input))
    .use(problemErrors(runtime.logger));
}

/** The stack of endpoints that need only an authenticated caller (whoami). */
export function authenticatedEndpoint(runtime: Runtime) {
  return middy<APIGatewayProxyEvent, APIGatewayProxyResult, Error, AuthorizedContext>()
    .use(observability(runtime))
    .use(bodyLimit(BODY_LIMIT_BYTES))
    .use(httpHeaderNormalizer())
    .use(problemErrors(runtime.logger));
}
