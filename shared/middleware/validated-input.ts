import type { MiddlewareObj } from '@middy/core';
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import type { FieldError } from '../kernel/errors.js';
import { throwIfAny } from '../http/json-body.js';

/**
 * Reads and checks an endpoint's path, query and body after its authorization checks: every
 * problem at once (one 400 listing them all), else the input on `context.input`, which the
 * stack's own context type declares. Its own context type is left open (as an inline
 * middleware's is): Middy intersects it into the handler's, and the handler keeps the
 * stack's.
 */
export function validatedInput<TInput>(
  read: (event: APIGatewayProxyEvent, errors: FieldError[]) => TInput,
  // biome-ignore lint/suspicious/noExplicitAny: Middy types a middleware by its stack's context; any stack fits
): MiddlewareObj<APIGatewayProxyEvent, APIGatewayProxyResult, Error, any> {
  return {
    before: ({ event, context }) => {
      const errors: FieldError[] = [];
      const input = read(event, errors);
      throwIfAny(errors);
      (context as { input?: TInput }).input = input;
    },
  };
}
