import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { endOfDay, enforcedMaxRpsHint, formatDate, formatMaxRps, formatStatus } from '../../console/src/format.js';
import { ApiError, describeError, fieldMessages, parseRetryAfter } from '../../console/src/problems.js';
import { hrefOf, parseRoute, type Route } from '../../console/src/router.js';

/** The console's rules that need no browser: its addresses, its wording, and errors in words. */

describe('console addresses', () => {
  it('reads the stable addresses of the issue', () => {
    expect(parseRoute('#/domains/finance/members/sa-etl')).toStrictEqual({
      page: 'account',
      scope: 'domain',
      domain: 'finance',
      userId: 'sa-etl',
      tab: 'details',
    });
    expect(parseRoute('#/domains/finance/members/sa-etl/tokens')).toStrictEqual({
      page: 'account',
      scope: 'domain',
      domain: 'finance',
      userId: 'sa-etl',
      tab: 'tokens',
    });
    expect(parseRoute('#/admin/users/sa-etl')).toStrictEqual({
      page: 'account',
      scope: 'admin',
      userId: 'sa-etl',
      tab: 'details',
    });
    expect(parseRoute('#/admin/users')).toStrictEqual({ page: 'users' });
    expect(parseRoute('#/domains/finance/members')).toStrictEqual({ page: 'members', domain: 'finance' });
    for (const home of ['', '#', '#/']) expect(parseRoute(home)).toStrictEqual({ page: 'home' });
    for (const members of ['#/domains', '#/domains/']) expect(parseRoute(members)).toStrictEqual({ page: 'members' });
    for (const tab of ['activity', 'federation'] as const)
      expect(parseRoute(`#/admin/users/sa-etl/${tab}`)).toStrictEqual({
        page: 'account',
        scope: 'admin',
        userId: 'sa-etl',
        tab,
      });
    expect(parseRoute('#/domains/finance/members/sa-etl/activity?token=ci-pipeline')).toStrictEqual({
      page: 'account',
      scope: 'domain',
      domain: 'finance',
      userId: 'sa-etl',
      tab: 'activity',
      token: 'ci-pipeline',
    });
    for (const unknown of [
      '#/nowhere',
      '#/admin/users/a/b/c',
      '#/domains/finance/members/x/y',
      '#/domains/%E0%A4%A/members',
      '#/admin/users/sa-etl/settings',
    ])
      expect(parseRoute(unknown)).toStrictEqual({ page: 'not-found' });
  });

  it('writes every route back to an address that reads as the same route, whatever the ids', () => {
    const id = fc.string({ minLength: 1, maxLength: 20 });
    const tab = fc.oneof(
      fc.record({ tab: fc.constantFrom('details' as const, 'tokens' as const, 'federation' as const) }),
      fc.record({ tab: fc.constant('activity' as const) }),
      fc.record({ tab: fc.constant('activity' as const), token: id }),
    );
    const route: fc.Arbitrary<Route> = fc.oneof(
      fc.record({ page: fc.constant('members' as const), domain: id }),
      fc.constant({ page: 'users' as const }),
      fc
        .tuple(
          fc.record({
            page: fc.constant('account' as const),
            scope: fc.constant('domain' as const),
            domain: id,
            userId: id,
          }),
          tab,
        )
        .map(([account, shown]) => ({ ...account, ...shown })),
      fc
        .tuple(
          fc.record({ page: fc.constant('account' as const), scope: fc.constant('admin' as const), userId: id }),
          tab,
        )
        .map(([account, shown]) => ({ ...account, ...shown })),
      fc.constant({ page: 'home' as const }),
    );
    fc.assert(fc.property(route, (value) => expect(parseRoute(hrefOf(value))).toStrictEqual({ ...value })));
  });
});

describe('console wording', () => {
  it('shows an unset Max RPS as "None", and missing dates as "Never"', () => {
    expect(formatMaxRps(null)).toBe('None');
    expect(formatMaxRps(25)).toBe('25');
    // The Max RPS editor says what API Gateway holds a value to, as it is typed.
    expect(enforcedMaxRpsHint('25')).toBe('In AWS, held to 23 per second: the largest rate tier at or below 25.');
    expect(enforcedMaxRpsHint(' 23 ')).toBe('In AWS, held to exactly 23 per second (a rate tier).');
    expect(enforcedMaxRpsHint('3000')).toBe('In AWS, held to 2711 per second: the largest rate tier at or below 3000.');
    for (const invalid of ['', '0', '-3', '2.5', 'abc', '3001', '10000']) expect(enforcedMaxRpsHint(invalid)).toBe('');
    expect(formatDate(null)).toBe('Never');
    expect(formatDate('2026-11-30T12:00:00.000Z')).toMatch(/2026/);
    expect(formatStatus('SUSPENDED')).toBe('Suspended');
  });

  it('turns a chosen day into the end of that day, as an ISO timestamp', () => {
    const iso = endOfDay('2027-01-31')!;
    expect(new Date(iso).getDate()).toBe(31);
    expect(new Date(iso).getHours()).toBe(23);
    expect(endOfDay('not a day')).toBe(undefined);
  });
});

describe('API errors in words', () => {
  const problem = (code: string, detail: string, extra: object = {}) => ({
    type: `urn:x:${code}`,
    title: code,
    status: 400,
    code,
    detail,
    ...extra,
  });

  it('gives the same-group refusal its exact message, and says to ask an admin for one of the account’s groups', () => {
    const error = new ApiError(
      403,
      problem('NOT_SAME_GROUP', 'You must be in the same group as this service account to view and manage tokens'),
      undefined,
    );
    expect(describeError(error, { accountGroups: ['data-eng', 'platform'] })).toStrictEqual({
      text: 'You must be in the same group as this service account to view and manage tokens',
      hint: 'Ask an admin to add you to one of the account’s groups: data-eng, platform.',
    });
  });

  it('says when to retry after a 429, from Retry-After in seconds or as a date', () => {
    const message = describeError(new ApiError(429, problem('THROTTLED', 'Too many requests'), 3));
    expect(message.text).toBe('Too many requests.');
    expect(message.hint).toMatch(/^Try again in 3 seconds \(at .+\)\.$/);
    expect(describeError(new ApiError(429, undefined, 1)).hint).toBe('Try again in 1 second.');
    expect(parseRetryAfter('7')).toBe(7);
    expect(parseRetryAfter(new Date(Date.now() + 10_000).toUTCString())).toBeGreaterThanOrEqual(9);
    expect(parseRetryAfter(null)).toBe(undefined);
    expect(parseRetryAfter('soon')).toBe(undefined);
  });

  it('names invalid fields as the form labels them, and says what else went wrong plainly', () => {
    const invalid = problem('VALIDATION_FAILED', 'The request has invalid fields; see errors.', {
      errors: [{ field: 'maxRps', message: 'must be an integer from 1 to 10000, or null' }],
    });
    expect(fieldMessages(invalid)).toStrictEqual({ maxRps: 'Max RPS must be an integer from 1 to 10000, or null' });
    expect(describeError(new ApiError(400, invalid, undefined)).text).toBe(
      'Max RPS must be an integer from 1 to 10000, or null',
    );
    expect(describeError(new ApiError(0, undefined, undefined)).text).toBe('The API could not be reached.');
    expect(describeError(new ApiError(401, problem('UNAUTHORIZED', 'x'), undefined)).hint).toBe('Sign in again.');
    expect(describeError(new ApiError(500, problem('INTERNAL_ERROR', 'x', { requestId: 'r-1' }), undefined)).hint).toBe(
      'Quote request id r-1 when you report it.',
    );
    expect(
      describeError(
        new ApiError(
          409,
          problem('TOKEN_NAME_TAKEN', 'This service account already has a token with that name.'),
          undefined,
        ),
      ).text,
    ).toBe('This service account already has a token with that name.');
    expect(describeError(new Error('boom')).text).toBe('Something went wrong in the console.');
  });
});
