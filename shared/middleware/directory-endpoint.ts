import middy from '@middy/core';
import httpHeaderNormalizer from '@middy/http-header-normalizer';
import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from 'aws-lambda';
import { type FieldError, ForbiddenError } from '../kernel/errors.js';
import { BODY_LIMIT_BYTES, bodyLimit } from '../http/body-limit.js';
import { pathParameter } from '../http/path-parameters.js';
import type { Caller, Principal } from '../kernel/model.js';
import {
  assertCredentialFitsPrincipal,
  assertScope,
  assertSecretMayAct,
  callerFromEvent,
  inDomain,
} from './authorization.js';
import { observability } from '../http/observability.js';
import type { EndpointDeps } from './token-endpoint.js';
import { problemErrors } from './problem-errors.js';
import { validatedInput } from './validated-input.js';

/** Who may read a listing: the members of the path's domain, or admins. */
export type DirectoryAccess = 'domain-member' | 'admin';

export interface DirectoryEndpointContext<TInput> extends Context {
  caller: Caller;
  /** The caller as the directory knows them. */
  principal: Principal;
  /** The domain of a domain-path request. */
  domain?: string;
  input: TInput;
}

export interface DirectoryEndpointOptions<TInput> {
  access: DirectoryAccess;
  /** Reads and checks path and query, pushing every problem onto `errors`. */
  input: (event: APIGatewayProxyEvent, errors: FieldError[]) => TInput;
}

const ADMINS_ONLY = 'Only admins may see the directory’s users.';

/**
 * The one Middy stack of the directory's read endpoints, in the token endpoints' order:
 * observability → body limit → header normalisation → caller → permission (403 before
 * anything is revealed) → validation → handler, with errors mapped to problem JSON last.
 */
export function directoryEndpoint<TInput>(deps: EndpointDeps, options: DirectoryEndpointOptions<TInput>) {
  return middy<APIGatewayProxyEvent, APIGatewayProxyResult, Error, DirectoryEndpointContext<TInput>>()
    .use(observability(deps))
    .use(bodyLimit(BODY_LIMIT_BYTES))
    .use(httpHeaderNormalizer())
    .use({
      before: async ({ event, context }) => {
        context.caller = callerFromEvent(event);
        context.domain = pathParameter(event, 'domain');
        const principal = await deps.directory.getPrincipal(context.caller.userId);
        assertCredentialFitsPrincipal(context.caller, principal);
        assertSecretMayAct(context.caller, event.httpMethod);
        assertScope(context.caller, event.httpMethod);
        const allowed =
          principal !== undefined &&
          (options.access === 'admin'
            ? principal.adminRoles.length > 0
            : context.domain !== undefined && principal.domains.includes(context.domain));
        if (!allowed)
          throw new ForbiddenError(
            options.access === 'admin'
              ? ADMINS_ONLY
              : inDomain('Only a domain’s members may see its members: you are not a member of', context.domain),
          );
        context.principal = principal;
      },
    })
    .use(validatedInput(options.input))
    .use(problemErrors(deps.logger));
}
