import { createHash } from 'node:crypto';
import { type FieldError, ValidationError } from '../kernel/errors.js';
import { array, check, maxLength, object, optional, string } from '../http/rules.js';

/**
 * GitHub's secret scanning partner protocol: the body GitHub posts (a JSON array of the
 * strings it found, each with where it found it) and the feedback it takes back. Read
 * only after the body's signature has been verified.
 */

/** Matches in one request at most: enough for GitHub's batches, bounded for the function's time. */
export const MAX_REPORTS = 1_000;
/** Bytes of body at most (the route's body limit): a thousand matches with long URLs fit several times over. */
export const REPORT_BODY_LIMIT_BYTES = 1_048_576;

export const REPORT_RULES = {
  required: 'is required and must be a string',
  string: 'must be a string',
  tooLong: 'is too long',
  match: 'must be an object (a match)',
  list: 'must be a JSON array of matches',
  most: `must hold at most ${MAX_REPORTS} matches`,
} as const;

/** The body's shape (zod describes it for the OpenAPI document: report-schema.ts). */
export const reportsBody = array(
  object(
    {
      token: string(REPORT_RULES.required, maxLength(4_096, REPORT_RULES.tooLong)),
      type: string(REPORT_RULES.required, maxLength(256, REPORT_RULES.tooLong)),
      url: optional(string(REPORT_RULES.string, maxLength(4_096, REPORT_RULES.tooLong))),
      source: optional(string(REPORT_RULES.string, maxLength(256, REPORT_RULES.tooLong))),
    },
    { message: REPORT_RULES.match },
  ),
  REPORT_RULES.list,
  maxLength(MAX_REPORTS, REPORT_RULES.most),
);

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
    throw new ValidationError([{ field: 'body', message: REPORT_RULES.list }]);
  }
  const errors: FieldError[] = [];
  const reports = check(reportsBody, json, errors);
  if (!reports) throw new ValidationError(errors.slice(0, 20));
  // GitHub documents url as possibly empty, and source is informational: both may be missing.
  return reports.map((report) => ({
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
