import { z } from 'zod';
import { type FieldError, UnsupportedMediaTypeError, ValidationError } from '../errors.js';

/** Request shapes of DESIGN.md §4, and the one function that turns zod issues into field errors. */

export const TOKEN_NAME_PATTERN = /^[A-Za-z0-9._-]{1,64}$/;
export const tokenName = z
  .string({ error: 'is required and must be a string' })
  .regex(TOKEN_NAME_PATTERN, 'must be 1 to 64 characters of A-Z a-z 0-9 . _ -');
export const maxRps = z
  .number({ error: 'must be an integer from 1 to 10000, or null' })
  .int('must be an integer from 1 to 10000, or null')
  .min(1, 'must be an integer from 1 to 10000, or null')
  .max(10_000, 'must be an integer from 1 to 10000, or null')
  .nullable();
const isoDateTime = z.iso.datetime({ offset: true, error: 'must be an ISO-8601 date-time with a time zone, or null' });

export const createTokenBody = z.strictObject({
  name: tokenName,
  maxRps: maxRps.optional(),
  expiresAt: isoDateTime.nullable().optional(),
});
export const deprecatedCreateTokenBody = createTokenBody.extend({
  serviceAccountId: z.string({ error: 'is required and must be a string' }).min(1, 'must not be empty'),
});
export const updateTokenBody = z
  .strictObject({
    status: z.enum(['ACTIVE', 'SUSPENDED'], { error: 'must be ACTIVE or SUSPENDED' }).optional(),
    maxRps: maxRps.optional(),
  })
  .refine((body) => body.status !== undefined || body.maxRps !== undefined, {
    message: 'must set status, maxRps, or both',
    path: ['body'],
  });
export const listTokensQuery = z.object({
  limit: z
    .string()
    .regex(/^\d{1,3}$/, 'must be an integer from 1 to 100')
    .transform(Number)
    .refine((n) => n >= 1 && n <= 100, 'must be an integer from 1 to 100')
    .optional(),
  nextToken: z.string().min(1, 'must not be empty').max(1024, 'is not a valid cursor').optional(),
});
export const tokenNamePath = z.object({ name: tokenName });

export function fieldErrors(error: z.ZodError, prefix = ''): FieldError[] {
  const list: FieldError[] = [];
  for (const issue of error.issues) {
    const path = issue.path.map(String).join('.');
    const field = path === '' ? prefix || 'body' : path;
    if (issue.code === 'unrecognized_keys') {
      for (const key of issue.keys) list.push({ field: path ? `${path}.${key}` : key, message: 'is not an allowed field' });
    } else {
      list.push({ field, message: issue.message });
    }
  }
  return list;
}

/** Validates one part of a request, collecting errors instead of throwing. */
export function check<S extends z.ZodType>(schema: S, value: unknown, errors: FieldError[], prefix = ''): z.infer<S> | undefined {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  errors.push(...fieldErrors(result.error, prefix));
  return undefined;
}

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

export function throwIfAny(errors: FieldError[]): void {
  if (errors.length > 0) throw new ValidationError(errors);
}
