import { afterCursor, encodeCursor } from '../http/cursor.js';
import { jsonResponse } from '../http/problem.js';
import { adminListEventsQuery, check, listEventsQuery } from '../http/validation.js';
import type { Scope } from '../middleware/authorization.js';
import { type EndpointDeps, tokenEndpoint } from '../middleware/token-endpoint.js';
import type { TokenEvents } from './ports.js';

/** What the audit trail's endpoint uses. */
export type EventsEndpointDeps = EndpointDeps & { events: TokenEvents };

/**
 * The audit trail of the account's incarnation: the current one, or on the admin path the
 * one `incarnation` names (the target the checks saw is then the account as it was).
 */
export function listTokenEventsEndpoint(parts: EventsEndpointDeps, scope: Scope) {
  return tokenEndpoint(parts, {
    scope,
    pastIncarnations: scope === 'admin',
    input: (event, errors) => {
      const schema = scope === 'admin' ? adminListEventsQuery : listEventsQuery;
      const query = check(schema, event.queryStringParameters ?? {}, errors);
      return {
        limit: query?.limit ?? 50,
        afterId: afterCursor(query?.nextToken, errors),
        tokenName: query?.tokenName,
        type: query?.type,
      };
    },
  }).handler(async (_event, context) => {
    const { limit, afterId, tokenName, type } = context.input;
    const page = await parts.events.list(context.serviceAccount.id, {
      incarnation: context.serviceAccount.incarnation,
      limit,
      ...(afterId === undefined ? {} : { afterId }),
      ...(tokenName === undefined ? {} : { tokenName }),
      ...(type === undefined ? {} : { type }),
    });
    return jsonResponse(200, {
      events: page.events,
      nextToken: page.lastId === undefined ? null : encodeCursor(page.lastId),
    });
  });
}
