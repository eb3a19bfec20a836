import type { TokenEvent } from './api/client.js';
import { formatDate, formatMaxRps } from './format.js';

/**
 * Audit events in words (docs/events.md): who did what, and from where. Pure, tested
 * without a browser; the Activity tab and the token list's "why suspended" read them.
 */
export interface EventInWords {
  who: string;
  what: string;
  /** The request's address and client; undefined when the service acted on its own. */
  where: string | undefined;
}

const SYSTEM: Record<string, string> = {
  lifecycle: 'The lifecycle job',
  'github-secret-scanning': 'GitHub secret scanning',
  'directory-import': 'A directory import',
  federation: 'The token exchange',
};

/** Who acted: a person, a token of an account (and which of its secrets), a CI job, or the service. */
export function actorOf(event: TokenEvent): string {
  const { actor } = event;
  if (actor.authenticatedBy === 'SYSTEM') return SYSTEM[actor.userId] ?? `The service (${actor.userId})`;
  if (event.type === 'token.exchanged') return `CI job “${actor.userId}”`;
  // The token did not act: something presented its retired secret, and was refused.
  if (event.type === 'token.used_after_rotation') return 'A caller';
  if (actor.authenticatedBy === 'ACCESS_TOKEN') {
    const secret = actor.secret === 'previous' ? ', with the secret its last rotation replaced' : '';
    return `Token “${actor.tokenName ?? '?'}” of ${actor.userId}${secret}`;
  }
  return actor.userId;
}

type Value = string | number | null | undefined;
const lowerFirst = (text: string) => text.charAt(0).toLowerCase() + text.slice(1);
const change = (event: TokenEvent, field: string) => event.changes[field];
const detail = (event: TokenEvent, key: string): Value => event.details?.[key];
const when = (event: TokenEvent, key: string) => formatDate(String(detail(event, key)));

function shownValue(field: string, value: Value): Value {
  if (field === 'maxRps') return formatMaxRps(value as number | null);
  return field === 'expiresAt' ? formatDate(value as string) : value;
}

/** A token.updated in words: each change, in the order the API lists them. */
function updated(event: TokenEvent, token: string): string {
  const parts = Object.entries(event.changes).map(([field, { before, after }]) => {
    if (field === 'status' && after === 'SUSPENDED') return `suspended ${token}`;
    if (field === 'status' && after === 'ACTIVE') return `reactivated ${token}`;
    const name = field === 'maxRps' ? 'Max RPS' : field;
    return `changed ${name} of ${token} from ${shownValue(field, before)} to ${shownValue(field, after)}`;
  });
  return parts.length === 0 ? `updated ${token} (nothing changed)` : parts.join(', and ');
}

function created(event: TokenEvent, token: string, verb: string): string {
  const maxRps = formatMaxRps(change(event, 'maxRps')?.after as number | null | undefined);
  const expiresAt = formatDate(change(event, 'expiresAt')?.after as string | null | undefined, 'never');
  return `${verb} ${token} (Max RPS ${maxRps}, expires ${expiresAt})`;
}

/** A lifecycle or secret scanning event, in words. */
function lifecycle(event: TokenEvent, token: string): string {
  switch (event.type) {
    case 'token.expiring': {
      const days = detail(event, 'daysBefore');
      return `sent the notice that ${token} expires ${when(event, 'expiresAt')}, in ${days} day(s)`;
    }
    case 'token.expired':
      return `recorded that ${token} expired ${when(event, 'expiresAt')}`;
    case 'token.suspended_unused': {
      const since = detail(event, 'inactiveSince') ?? 'never';
      return `suspended ${token}: unused for ${detail(event, 'unusedDays')} days (last used: ${since})`;
    }
    default: {
      const which = detail(event, 'secret') === 'previous' ? 'the previous secret' : 'the secret';
      const where = detail(event, 'url') ? ` at ${detail(event, 'url')}` : '';
      const suspended = change(event, 'status') ? '; the token was suspended' : '; it was suspended already';
      return `found ${which} of ${token} in public${where}${suspended}`;
    }
  }
}

/** A federation exchange, or a policy's creation or deletion, in words. */
function federation(event: TokenEvent, token: string): string {
  const { exchange, policy } = event;
  const policyName = exchange?.policyName ? `policy “${exchange.policyName}”` : 'no policy';
  const issuer = exchange?.issuer ?? 'an unknown issuer';
  switch (event.type) {
    case 'token.exchanged':
      return created(event, token, `exchanged its OIDC token from ${issuer} (${policyName}) for`);
    case 'token.exchange_refused': {
      const why = exchange?.reason ?? exchange?.error ?? 'refused';
      return `refused CI job “${exchange?.subject ?? '?'}” from ${issuer} (closest: ${policyName}): ${why}`;
    }
    case 'federation_policy.created':
      return `created federation policy “${policy?.name}” (issuer ${policy?.issuer}, subject ${policy?.subject})`;
    default:
      return `deleted federation policy “${policy?.name}”`;
  }
}

/** What happened, as the rest of a sentence that `actorOf` begins. */
export function actionOf(event: TokenEvent): string {
  const token = `token “${event.tokenName}”`;
  switch (event.type) {
    case 'token.created':
      return created(event, token, 'created');
    case 'token.updated':
      return updated(event, token);
    case 'token.rotated': {
      const until = change(event, 'previousSecretValidUntil')?.after;
      return until
        ? `rotated ${token}: its previous secret works until ${formatDate(String(until))}`
        : `rotated ${token}: its previous secret stopped working at once`;
    }
    case 'token.deleted':
      return `deleted ${token}`;
    case 'token.used_after_rotation':
      return `presented a secret of ${token} that stopped working ${when(event, 'retiredAt')}, and was refused`;
    case 'token.expiring':
    case 'token.expired':
    case 'token.suspended_unused':
    case 'token.exposed':
      return lifecycle(event, token);
    default:
      return federation(event, token);
  }
}

/** Where the request came from: its address and client, as API Gateway saw them. */
export function originOf(event: TokenEvent): string | undefined {
  const parts = [event.sourceIp, event.userAgent].filter((part): part is string => !!part);
  return parts.length === 0 ? undefined : `from ${parts.join(', ')}`;
}

export function inWords(event: TokenEvent): EventInWords {
  return { who: actorOf(event), what: actionOf(event), where: originOf(event) };
}

/**
 * Why a suspended token is suspended, from its events (newest first): by whom, by secret
 * scanning, or for want of use (said under its status, so without the word "suspended").
 * A string when the events say; null when they cannot (the suspension is older than the
 * trail's retention, or belongs to an earlier token of the same name); undefined when
 * older events must be read too.
 */
export function suspensionOf(events: readonly TokenEvent[]): string | null | undefined {
  for (const event of events) {
    const at = formatDate(event.time);
    const status = change(event, 'status')?.after;
    if (event.type === 'token.exposed') return `Reported leaked by GitHub secret scanning, ${at}`;
    if (event.type === 'token.suspended_unused')
      return `Unused for ${detail(event, 'unusedDays')} days (the lifecycle job), ${at}`;
    if (event.type === 'token.updated' && status === 'SUSPENDED') return `By ${lowerFirst(actorOf(event))}, ${at}`;
    // Reactivated since, or the token's own beginning: nothing older explains it.
    if (status === 'ACTIVE' || event.type === 'token.created' || event.type === 'token.exchanged') return null;
  }
  return undefined;
}
