import middy from '@middy/core';
import httpHeaderNormalizer from '@middy/http-header-normalizer';
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import type { FieldError } from '../errors.js';
import { throwIfAny } from '../http/json-body.js';
import { getRuntime } from '../runtime.js';
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

/**
 * Builds clients and reads configuration while the Lambda initialises, not on the first
 * request: a missing setting fails the init, and the first caller does not pay for it.
 * Outside Lambda it waits for the first request, since tests and the local runtime set
 * the environment after importing.
 */
function warmUp(): void {
  if (process.env.AWS_LAMBDA_FUNCTION_NAME) getRuntime();
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
}

/**
 * The one Middy stack of every token endpoint, in the contract's order:
 * observability → header normalisation → caller → permission → target service account
 * → same group → validation → handler, with errors mapped to problem JSON last.
 * Entry files attach their handler with `.handler(…)`.
 */
export function tokenEndpoint<TInput>(options: TokenEndpointOptions<TInput>) {
  warmUp();
  return middy<APIGatewayProxyEvent, APIGatewayProxyResult, Error, TokenEndpointContext<TInput>>()
    .use(observability())
    .use(httpHeaderNormalizer())
    .use(callerContext(() => getRuntime().directory, options.targetFrom ?? 'path'))
    .use(permissionCheck(options.scope))
    .use(targetServiceAccountCheck(options.scope))
    .use(sameGroupCheck())
    .use({
      before: ({ event, context }) => {
        const errors: FieldError[] = [];
        const input = options.input(event, errors);
        throwIfAny(errors);
        context.input = input;
      },
    })
    .use(problemErrors());
}

/** The stack of endpoints that need only an authenticated caller (whoami). */
export function authenticatedEndpoint() {
  warmUp();
  return middy<APIGatewayProxyEvent, APIGatewayProxyResult, Error, AuthorizedContext>()
    .use(observability())
    .use(httpHeaderNormalizer())
    .use(problemErrors());
}
