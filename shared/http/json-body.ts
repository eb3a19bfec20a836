import type { APIGatewayProxyEvent } from 'aws-lambda';
import { type FieldError, UnsupportedMediaTypeError, ValidationError } from '../kernel/errors.js';

/**
 * Reading request bodies and reporting field errors, apart from the request rules
 * (validation.ts), so that functions that validate nothing (the authorizer, whoami) carry none.
 */

export type JsonBody = { ok: true; value: unknown } | { ok: false; error: FieldError | 'media-type' };

/**
 * Reads a JSON body. A missing Content-Type, `application/json`, `*+json` and `text/plain`
 * (what `fetch` sends for a string body) are read as JSON; form and multipart bodies are
 * refused with 415, since they are the usual sign of `curl -d` without a header.
 */
export function readJsonBody(body: string | null | undefined, contentType: string | undefined): JsonBody {
  if (body === null || body === undefined || body === '') return { ok: true, value: undefined };
  const type = (contentType ?? '').split(';')[0]!.trim().toLowerCase();
  if (type && type !== 'application/json' && !type.endsWith('+json') && type !== 'text/plain') {
    return { ok: false, error: 'media-type' };
  }
  try {
    return { ok: true, value: JSON.parse(body) as unknown };
  } catch {
    return { ok: false, error: { field: 'body', message: 'is not valid JSON' } };
  }
}

export function bodyOrThrow(parsed: JsonBody, errors: FieldError[]): unknown {
  if (parsed.ok) return parsed.value;
  if (parsed.error === 'media-type') throw new UnsupportedMediaTypeError();
  errors.push(parsed.error);
  return undefined;
}

/** The body as a JSON object, `emptyAs` when there is none; undefined (with errors pushed) when unreadable. */
export function jsonObjectBody(
  event: Pick<APIGatewayProxyEvent, 'body' | 'headers'>,
  errors: FieldError[],
  emptyAs: unknown,
): unknown {
  const value = bodyOrThrow(readJsonBody(event.body, event.headers?.['content-type']), errors);
  if (value === undefined) return errors.length > 0 ? undefined : emptyAs;
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    errors.push({ field: 'body', message: 'must be a JSON object' });
    return undefined;
  }
  return value;
}

export function throwIfAny(errors: FieldError[]): void {
  if (errors.length > 0) throw new ValidationError(errors);
}
