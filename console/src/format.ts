import type { Token } from './api/client.js';
import { enforcedRate, TOKEN_MAX_RPS } from '../../shared/kernel/rate-tiers.js';

/** How values read in the console. Pure functions, tested without a browser. */

// Every time shown names its time zone: a token that "expires at 23:59" must say whose 23:59.
const dateTime = new Intl.DateTimeFormat(undefined, {
  year: 'numeric',
  month: 'short',
  day: 'numeric',
  hour: '2-digit',
  minute: '2-digit',
  timeZoneName: 'short',
});

/** A date and time in the reader's locale and time zone, or `none` when there is none. */
export function formatDate(iso: string | null | undefined, none = 'Never'): string {
  if (!iso) return none;
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? iso : dateTime.format(date);
}

/** The product's wording: an unset limit is "None". */
export function formatMaxRps(maxRps: number | null | undefined): string {
  return maxRps === null || maxRps === undefined ? 'None' : String(maxRps);
}

/**
 * What a Max RPS being typed is held to in AWS: API Gateway enforces the largest rate tier
 * at or below it (never more than 20 % below). Empty when the value is not a valid limit.
 */
export function enforcedMaxRpsHint(value: string): string {
  const typed = value.trim();
  if (!/^[1-9][0-9]*$/.test(typed) || Number(typed) > TOKEN_MAX_RPS) return '';
  const tier = enforcedRate(Number(typed));
  return tier === Number(typed)
    ? `In AWS, held to exactly ${tier} per second (a rate tier).`
    : `In AWS, held to ${tier} per second: the largest rate tier at or below ${typed}.`;
}

const STATUS: Record<string, string> = { ACTIVE: 'Active', SUSPENDED: 'Suspended', EXPIRED: 'Expired' };
export const formatStatus = (status: string): string => STATUS[status] ?? status;

/**
 * Why a suspended token is suspended, as the API records it with the suspension: by whom,
 * by secret scanning, or for want of use (said under its status, so without the word
 * "suspended"). A suspension older than the record has none: its Activity may say.
 */
export function formatSuspension(suspension: Token['suspension']): string {
  if (!suspension) return 'Reason not recorded (suspended before reasons were kept): see its Activity';
  const at = formatDate(suspension.at);
  if (suspension.reason === 'SECRET_SCANNING') return `Reported leaked by GitHub secret scanning, ${at}`;
  if (suspension.reason === 'UNUSED') return `Unused for ${suspension.unusedDays} days (the lifecycle job), ${at}`;
  if (suspension.byToken !== null) return `By token “${suspension.byToken}” of ${suspension.by}, ${at}`;
  return `By ${suspension.by}, ${at}`;
}

const TYPE: Record<string, string> = { USER: 'User', SERVICE_ACCOUNT: 'Service account' };
export const formatType = (type: string): string => TYPE[type] ?? type;

export const formatList = (items: readonly string[], none = 'None'): string =>
  items.length === 0 ? none : items.join(', ');

const plural = (n: number, unit: string) => `${n} ${unit}${n === 1 ? '' : 's'}`;

/** A length of time in the largest whole unit that fits it: "1 day", "6 hours", "15 minutes", "30 seconds". */
export function formatDuration(seconds: number): string {
  for (const [unit, size] of [
    ['week', 604_800],
    ['day', 86_400],
    ['hour', 3_600],
    ['minute', 60],
  ] as const) {
    if (seconds >= size && seconds % size === 0) return plural(seconds / size, unit);
  }
  if (seconds >= 3_600) return plural(Math.round(seconds / 3_600), 'hour');
  if (seconds >= 60) return plural(Math.round(seconds / 60), 'minute');
  return plural(seconds, 'second');
}

/** How far ahead a time is, roughly, in the largest unit: "in 3 days", "in 5 hours", "in 12 minutes". */
export function formatTimeUntil(iso: string, now = Date.now()): string {
  const seconds = Math.max(0, Math.round((Date.parse(iso) - now) / 1000));
  if (seconds >= 86_400) return `in ${plural(Math.round(seconds / 86_400), 'day')}`;
  if (seconds >= 3_600) return `in ${plural(Math.round(seconds / 3_600), 'hour')}`;
  return `in ${plural(Math.max(1, Math.ceil(seconds / 60)), 'minute')}`;
}

/** The first expiry notice comes 14 days ahead (docs/events.md): the console warns from then on. */
export const EXPIRY_WARNING_DAYS = 14;

/** "Expires in 3 days" for a token that expires within the warning window, else undefined. */
export function expiryWarning(expiresAt: string | null, now = Date.now()): string | undefined {
  if (!expiresAt) return undefined;
  const left = Date.parse(expiresAt) - now;
  if (Number.isNaN(left) || left <= 0 || left > EXPIRY_WARNING_DAYS * 86_400_000) return undefined;
  return `Expires ${formatTimeUntil(expiresAt, now)}`;
}

/** The end of a calendar day (`YYYY-MM-DD`, the reader's time zone) as an ISO timestamp. */
export function endOfDay(day: string): string | undefined {
  const date = new Date(`${day}T23:59:59`);
  return Number.isNaN(date.getTime()) ? undefined : date.toISOString();
}

/** `YYYY-MM-DD` of a date in the reader's time zone (for a date input's `min`). */
export function dayOf(date: Date): string {
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}`;
}

/** The suggested lifetimes, in days; 90 is chosen unless another is. */
const LIFETIMES = [7, 30, 90, 180, 365];
const SUGGESTED_DAYS = 90;

/**
 * The lifetimes offered where the longest is `maxDays` (TOKEN_MAX_LIFETIME_DAYS): the
 * suggested ones within it, and the longest itself when none of them is; the choice made
 * unless another is, 90 days or the longest below it.
 */
export function lifetimesWithin(maxDays: number): { offered: number[]; chosen: number } {
  const within = LIFETIMES.filter((days) => days <= maxDays);
  const offered = within.at(-1) === maxDays || maxDays > LIFETIMES.at(-1)! ? within : [...within, maxDays];
  return { offered, chosen: Math.min(SUGGESTED_DAYS, maxDays) };
}

/** The last day a token may be set to expire on (at its end) when tokens live at most `maxDays`. */
export function lastDayWithin(maxDays: number, now = Date.now()): string {
  const limit = now + maxDays * 86_400_000;
  const day = dayOf(new Date(limit));
  return Date.parse(endOfDay(day)!) <= limit ? day : dayOf(new Date(limit - 86_400_000));
}

export const lifetimeText = (days: number) =>
  days === 365 ? 'In 1 year' : days === 1 ? 'In 1 day' : `In ${days} days`;
