/**
 * The forms' own checks, said inline beside each field (never the browser's pop-up
 * bubbles, which cover the hints): the API's rules (docs/openapi.json), so most mistakes
 * are caught before a request. The API's field errors are shown the same way.
 */
export type FieldErrors = Record<string, string>;

export const TOKEN_NAME = /^[A-Za-z0-9._-]{1,64}$/;
export const POLICY_NAME = /^[A-Za-z0-9._-]{1,40}$/;

export function nameProblem(value: string, pattern = TOKEN_NAME, most = 64): string | undefined {
  if (value.trim() === '') return 'Name is required.';
  if (!pattern.test(value.trim())) return `Name must be 1–${most} letters, digits, dots, underscores or hyphens.`;
  return undefined;
}

/** An integer in a range, or empty when `optional`; the label names the field in the message. */
export function integerProblem(
  value: string,
  label: string,
  range: { min: number; max: number },
  optional = true,
): string | undefined {
  if (value.trim() === '') return optional ? undefined : `${label} is required.`;
  const n = Number(value);
  if (!Number.isInteger(n) || n < range.min || n > range.max)
    return `${label} must be a whole number from ${range.min} to ${range.max}.`;
  return undefined;
}

/** Focuses the first field with a problem (its id is `fieldIds[field]`), for keyboard and screen reader users. */
export function focusFirst(errors: FieldErrors, fieldIds: Record<string, string>): void {
  const first = Object.keys(fieldIds).find((field) => errors[field]);
  if (first) document.getElementById(fieldIds[first]!)?.focus();
}
