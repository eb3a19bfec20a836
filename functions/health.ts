import type { APIGatewayProxyResult } from 'aws-lambda';
import { jsonResponse } from '../shared/http/problem.js';

/** Liveness: answers without touching the table, so it stays cheap and unauthenticated. */
export const create = () => async (): Promise<APIGatewayProxyResult> => jsonResponse(200, { status: 'ok' });
export const handler = create();
