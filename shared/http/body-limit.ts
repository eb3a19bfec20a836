import type { MiddlewareObj } from '@middy/core';
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import { PayloadTooLargeError } from '../kernel/errors.js';
import { type HttpResponse, problem, problemResponse } from './problem.js';

/**
 * Request bodies are bounded per route (`Route.bodyLimitBytes` in infra/routes.ts, which the
 * local gateway and the OpenAPI document read), far below API Gateway's 10 MB: the
 * largest body any route takes is a few kilobytes, and a bigger one costs a function its
 * CPU and memory for nothing. A body over its route's limit is refused with 413 before a
 * byte of it is parsed, and locally before it is even read off the socket.
 */

/** The limit of every route that states none: 16 KiB, many times the largest valid body. */
export const BODY_LIMIT_BYTES = 16_384;

type BodyOf = Pick<APIGatewayProxyEvent, 'body' | 'isBase64Encoded'>;

/**
 * Whether the body the client sent is over `limit` bytes, counted without decoding it:
 * base64 (a binary body) by its length, text by its UTF-8 length, which is never less
 * than its length in UTF-16 units, so a long string is refused without being walked.
 */
export function bodyOverLimit(event: BodyOf, limit: number): boolean {
  const body = event.body;
  if (typeof body !== 'string' || body === '') return false;
  if (event.isBase64Encoded) return Buffer.byteLength(body, 'base64') > limit;
  return body.length > limit || Buffer.byteLength(body, 'utf8') > limit;
}

const inBytes = (limit: number) => `${limit.toLocaleString('en-US')} bytes`;

/** The problem answer to a body over its route's limit (what PayloadTooLargeError becomes). */
export function bodyTooLargeProblem(limit: number): HttpResponse {
  const error = new PayloadTooLargeError(inBytes(limit));
  return problemResponse(problem(error.status, error.code, error.title, error.detail));
}

/**
 * The token exchange's answer to a body over its limit: its own routes answer in OAuth's
 * shape (RFC 6749 §5.2), so this one does too, with 413 for a status and
 * `invalid_request`, the code RFC 6749 has for a malformed request.
 */
export function bodyTooLargeOAuth(limit: number): HttpResponse {
  return {
    statusCode: 413,
    headers: { 'Content-Type': 'application/json', 'Cache-Control': 'no-store', Pragma: 'no-cache' },
    body: JSON.stringify({ error: 'invalid_request', error_description: `the request body is over ${inBytes(limit)}` }),
  };
}

/**
 * First in a function's stack (after observability): a body over `limit` is refused before
 * any middleware reads it. With `answer`, the refusal is that answer (the exchange's OAuth
 * shape); without, a PayloadTooLargeError for the problem middleware.
 */
export function bodyLimit(
  limit: number,
  answer?: (limit: number) => APIGatewayProxyResult,
  // biome-ignore lint/suspicious/noExplicitAny: Middy types a middleware by its stack's context; any stack fits
): MiddlewareObj<APIGatewayProxyEvent, APIGatewayProxyResult, Error, any> {
  return {
    before: ({ event }) => {
      if (!bodyOverLimit(event, limit)) return undefined;
      if (answer) return answer(limit);
      throw new PayloadTooLargeError(inBytes(limit));
    },
  };
}
