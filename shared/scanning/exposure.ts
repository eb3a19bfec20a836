import { ConcurrentUpdateError } from '../kernel/errors.js';
import { isExpired, type TokenCredential } from '../kernel/model.js';
import type { Clock, IdGenerator } from '../kernel/ports.js';
import type { TokenExposures } from './ports.js';
import { parseToken } from '../kernel/token-format.js';
import { presentedSecret } from '../kernel/replaced-secrets.js';
import { tokenEvent, type ChangeOrigin } from '../kernel/events.js';
import { type Feedback, type Label, type Report, tokenHash } from './reports.js';

export interface ExposureDeps {
  exposures: TokenExposures;
  clock: Clock;
  ids: IdGenerator;
}

export interface ExposureResult {
  feedback: Feedback[];
  /** Reported strings that are live credentials of ours. */
  exposed: number;
  /** Tokens this report suspended (the others were suspended already). */
  suspended: number;
}

/** Suspensions written at once: a report of many live tokens answers well inside API Gateway's 29 s. */
const CONCURRENCY = 16;
/** Attempts when the token changes between the read and the suspension. */
const ATTEMPTS = 3;

/**
 * What a verified report of leaked strings does: each one that is a live secret of ours
 * (the current one, or the one a rotation replaced while its grace period runs) gets its
 * token suspended, with a `token.exposed` event saying where it was found. Suspended, not
 * revoked: an owner who finds a false alarm reactivates it. Everything else (not ours,
 * a checksum that fails, a deleted or expired token, a replaced secret past its grace) is
 * a false positive and changes nothing. Strings that fail the checksum cost no read.
 */
export async function handleReports(
  deps: ExposureDeps,
  reports: Report[],
  origin: ChangeOrigin,
): Promise<ExposureResult> {
  const now = deps.clock();
  const settled = new Map<string, Outcome>();
  const distinct = [...new Map(reports.map((report) => [report.token, report])).values()];
  // One batched read for every well-formed string: a thousand matches are ten reads.
  const lookupIds = [
    ...new Set(
      distinct.map((report) => parseToken(report.token)?.lookupId).filter((id): id is string => id !== undefined),
    ),
  ];
  const credentials = await deps.exposures.credentials(lookupIds);
  for (let start = 0; start < distinct.length; start += CONCURRENCY) {
    const chunk = distinct.slice(start, start + CONCURRENCY);
    const outcomes = await Promise.all(chunk.map((report) => judge(deps, report, origin, now, credentials)));
    chunk.forEach((report, i) => settled.set(report.token, outcomes[i]!));
  }
  const feedback = reports.map((report) => ({
    token_hash: tokenHash(report.token),
    token_type: report.type,
    label: settled.get(report.token)!.label,
  }));
  const values = [...settled.values()];
  return {
    feedback,
    exposed: values.filter((outcome) => outcome.label === 'true_positive').length,
    suspended: values.filter((outcome) => outcome.suspended).length,
  };
}

interface Outcome {
  label: Label;
  suspended: boolean;
}

const FALSE_POSITIVE: Outcome = { label: 'false_positive', suspended: false };

async function judge(
  deps: ExposureDeps,
  report: Report,
  origin: ChangeOrigin,
  now: Date,
  read: Map<string, TokenCredential & { pendingSince?: string }>,
): Promise<Outcome> {
  const parsed = parseToken(report.token);
  if (!parsed) return FALSE_POSITIVE;
  for (let attempt = 0; attempt < ATTEMPTS; attempt++) {
    // The batched read first; after a lost race, the credential as it is now.
    const credential =
      attempt === 0
        ? read.get(parsed.lookupId)
        : (await deps.exposures.credentials([parsed.lookupId])).get(parsed.lookupId);
    if (!credential || credential.pendingSince !== undefined || isExpired(credential.expiresAt, now))
      return FALSE_POSITIVE;
    const secret = whichSecret(credential, parsed.secret, now);
    if (secret === undefined) return FALSE_POSITIVE;
    const wasActive = credential.status === 'ACTIVE';
    const event = tokenEvent(
      deps,
      'token.exposed',
      credential,
      origin,
      wasActive ? { status: { before: 'ACTIVE', after: 'SUSPENDED' } } : {},
      now,
      {
        reporter: 'github',
        url: report.url.slice(0, 2_048),
        source: report.source,
        secret,
      },
    );
    if (await deps.exposures.suspendExposed(credential, now.toISOString(), event))
      return { label: 'true_positive', suspended: wasActive };
  }
  // Changed under every attempt: the whole report is answered 409 and GitHub sends it again.
  throw new ConcurrentUpdateError();
}

/** Which of the token's live secrets this is, compared in constant time; undefined for none (or a retired one). */
function whichSecret(credential: TokenCredential, secret: string, now: Date): 'current' | 'previous' | undefined {
  const presented = presentedSecret(credential, secret, now);
  return presented && 'secret' in presented ? presented.secret : undefined;
}
