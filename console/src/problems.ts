/**
 * API errors in words. The API answers RFC 9457 problem JSON with a stable `code`; this
 * turns one into what the console says, with what to do next. Pure, tested without a browser.
 */
export interface Problem {
  code?: string;
  title?: string;
  detail?: string;
  status?: number;
  requestId?: string;
  errors?: { field: string; message: string }[];
}

/** A failed call: its status (0 when the API could not be reached), problem and Retry-After. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly problem: Problem | undefined,
    /** Seconds, from Retry-After. */
    readonly retryAfter: number | undefined,
  ) {
    super(problem?.detail ?? `HTTP ${status}`);
    this.name = 'ApiError';
  }

  get code(): string | undefined {
    return this.problem?.code;
  }
}

/** Retry-After as seconds: a number of seconds or an HTTP date. */
export function parseRetryAfter(value: string | null, now = Date.now()): number | undefined {
  if (value === null || value.trim() === '') return undefined;
  if (/^\d+$/.test(value.trim())) return Number(value.trim());
  const at = Date.parse(value);
  return Number.isNaN(at) ? undefined : Math.max(0, Math.ceil((at - now) / 1000));
}

export interface Message {
  text: string;
  /** What to do about it. */
  hint?: string;
}

const FIELDS: Record<string, string> = {
  name: 'Name',
  maxRps: 'Max RPS',
  expiresAt: 'Expires',
  status: 'Status',
  limit: 'Page size',
  nextToken: 'Page',
};

/** Field errors as the form shows them: "Max RPS must be an integer from 1 to 3000, or null". */
export function fieldMessages(problem: Problem | undefined): Record<string, string> {
  return Object.fromEntries(
    (problem?.errors ?? []).map(({ field, message }) => [field, `${FIELDS[field] ?? field} ${message}`]),
  );
}

const seconds = (n: number) => `${n} second${n === 1 ? '' : 's'}`;

/**
 * What the console says about a failed call. `accountGroups` names the service account's
 * groups, for the same-group refusal's advice.
 */
export function describeError(error: unknown, context: { accountGroups?: readonly string[] } = {}): Message {
  if (!(error instanceof ApiError))
    return { text: 'Something went wrong in the console.', hint: 'Reload the page and try again.' };
  const { status, problem, retryAfter } = error;
  if (status === 0) return { text: 'The API could not be reached.', hint: 'Check your connection, then try again.' };
  switch (problem?.code) {
    case 'NOT_SAME_GROUP': {
      const groups = context.accountGroups?.length ? `: ${context.accountGroups.join(', ')}` : '';
      return {
        text: problem.detail ?? 'You must be in the same group as this service account to view and manage tokens',
        hint: `Ask an admin to add you to one of the account’s groups${groups}.`,
      };
    }
    case 'THROTTLED':
    case 'SERVICE_UNAVAILABLE':
    case 'CONCURRENT_UPDATE': {
      const wait = retryAfter ?? 1;
      const at = new Date(Date.now() + wait * 1000).toLocaleTimeString();
      const text = problem.code === 'THROTTLED' ? 'Too many requests.' : (problem.detail ?? 'The service is busy.');
      return { text, hint: `Try again in ${seconds(wait)} (at ${at}).` };
    }
    case 'UNAUTHORIZED':
      return { text: 'Your session has ended.', hint: 'Sign in again.' };
    case 'VALIDATION_FAILED': {
      const fields = Object.values(fieldMessages(problem));
      return { text: fields.length > 0 ? fields.join('. ') : (problem.detail ?? 'The request was not valid.') };
    }
    case 'INTERNAL_ERROR':
      return {
        text: 'The service failed to answer.',
        hint: problem.requestId ? `Quote request id ${problem.requestId} when you report it.` : 'Try again later.',
      };
    default:
      break;
  }
  if (status === 429) return { text: 'Too many requests.', hint: `Try again in ${seconds(retryAfter ?? 1)}.` };
  if (problem?.detail) return { text: problem.detail };
  return { text: `The service answered ${status}.`, hint: 'Try again later.' };
}
