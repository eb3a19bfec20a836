import type { NewFederationPolicy } from './api/client.js';
import { type FieldErrors, integerProblem, nameProblem, POLICY_NAME } from './validate.js';

/**
 * The New policy form's fields, its own checks, the body it sends, and the API's field
 * errors placed on its fields. Pure, tested without a browser.
 */
interface FormField {
  field: string;
  label: string;
  hint: string;
  multiline?: boolean;
  numeric?: boolean;
}

/** The form, in the order shown; the hints say the API's rules and defaults (docs/federation.md). */
export const FIELDS: FormField[] = [
  {
    field: 'name',
    label: 'Name',
    hint: '1–40 letters, digits, dots, underscores or hyphens; issued tokens bear it.',
  },
  {
    field: 'issuer',
    label: 'Issuer',
    hint: 'The CI system’s OIDC issuer, exactly as its tokens’ iss (https://token.actions.githubusercontent.com).',
  },
  {
    field: 'subject',
    label: 'Subject',
    hint: 'The tokens’ sub: exact, or a pattern (* within a :-separated part, ** across parts).',
  },
  {
    field: 'audiences',
    label: 'Audiences',
    hint: 'One per line; the token’s aud must hold one. Empty: this API’s audience.',
    multiline: true,
  },
  {
    field: 'claims',
    label: 'Claims',
    hint: 'One “claim = pattern” per line (repository_owner_id = 65); each claim must match one of its patterns.',
    multiline: true,
  },
  {
    field: 'jwksHosts',
    label: 'Key hosts',
    hint: 'Other hosts that may serve the issuer’s keys, one per line. Empty: the issuer’s own host.',
    multiline: true,
  },
  {
    field: 'maxRps',
    label: 'Max RPS',
    hint: 'Requests per second shared by all the tokens it issues, 1–3000 (or the stage’s limit). Empty: no limit.',
    numeric: true,
  },
  {
    field: 'maxTtlSeconds',
    label: 'Issued token lifetime',
    hint: 'Seconds an issued token lives at most, 60–3600. Empty: 900 (15 minutes).',
    numeric: true,
  },
  {
    field: 'maxTokenAgeSeconds',
    label: 'CI token age',
    hint: 'The oldest CI token accepted, in seconds since it was issued, 60–86400. Empty: 3600 (an hour).',
    numeric: true,
  },
];
export const LABELS: Record<string, string> = Object.fromEntries(FIELDS.map(({ field, label }) => [field, label]));
export const IDS = Object.fromEntries(FIELDS.map(({ field }) => [field, `policy-${field}`]));
export type Values = Record<string, string>;
export const EMPTY: Values = Object.fromEntries(FIELDS.map(({ field }) => [field, '']));

const lines = (text: string) =>
  text
    .split('\n')
    .map((line) => line.trim())
    .filter(Boolean);

/** `claim = pattern` lines, a claim once per pattern; undefined when a line is not of that shape. */
export function parseClaims(text: string): Record<string, string[]> | undefined {
  const claims: Record<string, string[]> = {};
  for (const line of lines(text)) {
    const at = line.indexOf('=');
    const claim = line.slice(0, at).trim();
    const pattern = line.slice(at + 1).trim();
    if (at < 1 || claim === '' || pattern === '') return undefined;
    claims[claim] = [...(claims[claim] ?? []), pattern];
  }
  return claims;
}

/** The form's own checks: the rest (the issuer's rules, patterns) is the API's, shown the same way. */
export function checkPolicy(values: Values): FieldErrors {
  const errors: FieldErrors = {};
  const name = nameProblem(values.name!, POLICY_NAME, 40);
  if (name) errors.name = name;
  if (values.issuer!.trim() === '') errors.issuer = 'Issuer is required: the URL of the CI system’s OIDC issuer.';
  if (values.subject!.trim() === '') errors.subject = 'Subject is required: exact, or a pattern.';
  if (parseClaims(values.claims!) === undefined) errors.claims = 'Claims must be one “claim = pattern” per line.';
  const numbers = {
    maxRps: integerProblem(values.maxRps!, 'Max RPS', { min: 1, max: 10_000 }),
    maxTtlSeconds: integerProblem(values.maxTtlSeconds!, 'Issued token lifetime', { min: 60, max: 3_600 }),
    maxTokenAgeSeconds: integerProblem(values.maxTokenAgeSeconds!, 'CI token age', { min: 60, max: 86_400 }),
  };
  for (const [field, problem] of Object.entries(numbers)) if (problem) errors[field] = problem;
  return errors;
}

/** The body the API takes: fields left empty are left out, for the API's defaults. */
export function bodyOf(values: Values): NewFederationPolicy {
  const optional = (field: string, value: unknown, present: boolean) => (present ? { [field]: value } : {});
  const audiences = lines(values.audiences!);
  const jwksHosts = lines(values.jwksHosts!);
  const claims = parseClaims(values.claims!) ?? {};
  return {
    name: values.name!.trim(),
    issuer: values.issuer!.trim(),
    subject: values.subject!.trim(),
    ...optional('audiences', audiences, audiences.length > 0),
    ...optional('jwksHosts', jwksHosts, jwksHosts.length > 0),
    ...optional('claims', claims, Object.keys(claims).length > 0),
    ...optional('maxRps', Number(values.maxRps), values.maxRps!.trim() !== ''),
    ...optional('maxTtlSeconds', Number(values.maxTtlSeconds), values.maxTtlSeconds!.trim() !== ''),
    ...optional('maxTokenAgeSeconds', Number(values.maxTokenAgeSeconds), values.maxTokenAgeSeconds!.trim() !== ''),
  };
}

/** The API's field errors on the form's fields: `audiences.0` and `claims.x.0` belong to their list's field. */
export function policyFieldErrors(problem: { errors?: { field: string; message: string }[] } | undefined) {
  const errors: FieldErrors = {};
  for (const { field, message } of problem?.errors ?? []) {
    const key = field.split('.')[0]!;
    const label = LABELS[key];
    if (label && !errors[key]) errors[key] = `${label} ${message}.`.replace(/\.\.$/, '.');
  }
  return errors;
}
