import { createHash } from 'node:crypto';
import { array, maxLength, object, optional, string } from 'zod/mini';
import { ValidationError } from '../kernel/errors.js';
import { fieldErrors } from '../http/validation.js';

/**
 * GitHub's secret scanning partner protocol: the body GitHub posts (a JSON array of the
 * strings it found, each with where it found it) and the feedback it takes back. Read
 * only after the body's signature has been verified.
 */

/** Matches in one request at most: enough for GitHub's batches, bounded for the function's time. */
export const MAX_REPORTS = 1_000;
/** Bytes of body at most (the route's body limit): a thousand matches with long URLs fit several times over. */
export const REPORT_BODY_LIMIT_BYTES = 1_048_576;

export const secretScanningBody = /* @__PURE__ */ array(
  /* @__PURE__ */ object({
    token: /* @__PURE__ */ string({ error: 'is required and must be a string' }).check(
      /* @__PURE__ */ maxLength(4_096, 'is too long'),
    ),
    type: /* @__PURE__ */ string({ error: 'is required and must be a string' }).check(
      /* @__PURE__ */ maxLength(256, 'is too long'),
    ),
    url: /* @__PURE__ */ optional(
      /* @__PURE__ */ string({ error: 'must be a string' }).check(/* @__PURE__ */ maxLength(4_096, 'is too long')),
    ),
    source: /* @__PURE__ */ optional(
      /* @__PURE__ */ string({ error: 'must be a string' }).check(/* @__PURE__ */ maxLength(256, 'is too long')),
    ),
  }),
  { error: 'must be a JSON array of matches' },
).check(/* @__PURE__ */ maxLength(MAX_REPORTS, `must hold at most ${MAX_REPORTS} matches`));

export interface Report {
  token: string;
  type: string;
  url: string;
  source: string;
}

export type Label = 'true_positive' | 'false_positive';

/** The protocol's feedback on one match: the hash of the string, never the string. */
export interface Feedback {
  token_hash: string;
  token_type: string;
  label: Label;
}

/** The matches of a verified body; a ValidationError (400) when it is not the protocol's shape. */
export function parseReports(body: string): Report[] {
  let json: unknown;
  try {
    json = JSON.parse(body);
  } catch {
    throw new ValidationError([{ field: 'body', message: 'must be a JSON array of matches' }]);
  }
  const result = secretScanningBody.safeParse(json);
  if (!result.success) throw new ValidationError(fieldErrors(result.error).slice(0, 20));
  // GitHub documents url as possibly empty, and source is informational: both may be missing.
  return result.data.map((report) => ({
    token: report.token,
    type: report.type,
    url: report.url ?? '',
    source: report.source ?? '',
  }));
}

/** Hex SHA-256 of the string as reported, as the protocol's `token_hash`. */
export function tokenHash(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}
