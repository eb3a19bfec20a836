import { array, maxLength, object, optional, string } from 'zod/mini';
import { MAX_REPORTS, REPORT_RULES } from './reports.js';

/**
 * The body GitHub posts, as the OpenAPI document describes it: a zod schema of the shape
 * reports.ts checks, from the same texts (see shared/http/request-schemas.ts).
 */
export const secretScanningBody = array(
  object(
    {
      token: string({ error: REPORT_RULES.required }).check(maxLength(4_096, REPORT_RULES.tooLong)),
      type: string({ error: REPORT_RULES.required }).check(maxLength(256, REPORT_RULES.tooLong)),
      url: optional(string({ error: REPORT_RULES.string }).check(maxLength(4_096, REPORT_RULES.tooLong))),
      source: optional(string({ error: REPORT_RULES.string }).check(maxLength(256, REPORT_RULES.tooLong))),
    },
    { error: REPORT_RULES.match },
  ),
  { error: REPORT_RULES.list },
).check(maxLength(MAX_REPORTS, REPORT_RULES.most));
