/** How values read in the console. Pure functions, tested without a browser. */

const dateTime = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'short' });

/** A date and time in the reader's locale, or `none` when there is none. */
export function formatDate(iso: string | null | undefined, none = 'Never'): string {
  if (!iso) return none;
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? iso : dateTime.format(date);
}

/** The product's wording: an unset limit is "None". */
export function formatMaxRps(maxRps: number | null | undefined): string {
  return maxRps === null || maxRps === undefined ? 'None' : String(maxRps);
}

const STATUS: Record<string, string> = { ACTIVE: 'Active', SUSPENDED: 'Suspended', EXPIRED: 'Expired' };
export const formatStatus = (status: string): string => STATUS[status] ?? status;

const TYPE: Record<string, string> = { USER: 'User', SERVICE_ACCOUNT: 'Service account' };
export const formatType = (type: string): string => TYPE[type] ?? type;

export const formatList = (items: readonly string[], none = 'None'): string =>
  items.length === 0 ? none : items.join(', ');

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
