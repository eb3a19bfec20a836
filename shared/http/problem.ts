import type { FieldError } from '../kernel/errors.js';

/** RFC 9457 problem details, the body of every error this service or its gateway returns. */
export interface Problem {
  type: string;
  title: string;
  status: number;
  detail: string;
  code: string;
  errors?: FieldError[];
  requestId?: string;
  /** On INSUFFICIENT_SCOPE: the scope the call needs. */
  requiredScope?: string;
}

export const PROBLEM_CONTENT_TYPE = 'application/problem+json';

/** A URN per code: stable, dereferences nowhere, and says which problem it is. */
export function problemType(code: string): string {
  return `urn:service-account-tokens:problem:${code.toLowerCase().replaceAll('_', '-')}`;
}

export function problem(
  status: number,
  code: string,
  title: string,
  detail: string,
  extra: Partial<Problem> = {},
): Problem {
  return { type: problemType(code), title, status, detail, code, ...extra };
}

export interface HttpResponse {
  statusCode: number;
  headers: Record<string, string>;
  body: string;
}

export function problemResponse(body: Problem, headers: Record<string, string> = {}): HttpResponse {
  return {
    statusCode: body.status,
    headers: { 'Content-Type': PROBLEM_CONTENT_TYPE, 'Cache-Control': 'no-store', ...headers },
    body: JSON.stringify(body),
  };
}

export function jsonResponse(statusCode: number, body: unknown, headers: Record<string, string> = {}): HttpResponse {
  return {
    statusCode,
    headers: { 'Content-Type': 'application/json', 'Cache-Control': 'no-store', ...headers },
    body: body === undefined ? '' : JSON.stringify(body),
  };
}
