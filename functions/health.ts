import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import { BODY_LIMIT_BYTES, bodyOverLimit, bodyTooLargeProblem } from '../shared/http/body-limit.js';
import { jsonResponse } from '../shared/http/problem.js';

/** Liveness: answers without touching the table, so it stays cheap and unauthenticated. */
export const create =
  () =>
  async (event: APIGatewayProxyEvent): Promise<APIGatewayProxyResult> =>
    // It reads no body, but refuses one over the limit as every route does.
    bodyOverLimit(event, BODY_LIMIT_BYTES)
      ? bodyTooLargeProblem(BODY_LIMIT_BYTES)
      : jsonResponse(200, { status: 'ok' });
export const handler = create();
