import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { iso, type z } from 'zod/mini';
import * as docs from '../../shared/http/request-schemas.js';
import * as rules from '../../shared/http/validation.js';
import { check, type Rule } from '../../shared/http/rules.js';
import * as policyDocs from '../../shared/federation/request-schemas.js';
import * as policyRules from '../../shared/federation/validation.js';
import { MAX_REPORTS, reportsBody } from '../../shared/scanning/reports.js';
import { secretScanningBody } from '../../shared/scanning/report-schema.js';
import type { FieldError } from '../../shared/kernel/errors.js';

/**
 * The endpoints validate with validation.ts's rules; the OpenAPI document is generated from
 * zod schemas of the same shapes. Here both read the same generated values, valid and
 * not, and must give the same answer: the same value, or the same field errors in the
 * same order. A rule that drifts from its documented schema fails here.
 */

const SEED = 20261207;
const RUNS = 400;

/** zod's issues as the endpoints report field errors: each field's error once. */
function zodFieldErrors(error: z.core.$ZodError): FieldError[] {
  const all = error.issues.flatMap((issue) => {
    const path = issue.path.map(String).join('.');
    if (issue.code === 'unrecognized_keys')
      return issue.keys.map((key) => ({ field: path ? `${path}.${key}` : key, message: 'is not an allowed field' }));
    return [{ field: path || 'body', message: issue.message }];
  });
  return all.filter((error, i) => all.findIndex((e) => e.field === error.field && e.message === error.message) === i);
}

function sameAnswer(rule: Rule<unknown>, schema: z.ZodMiniType, value: unknown): void {
  const errors: FieldError[] = [];
  const mine = check(rule, value, errors);
  const theirs = schema.safeParse(value);
  expect({ value: mine, errors }).toStrictEqual({
    value: theirs.success ? theirs.data : undefined,
    errors: theirs.success ? [] : zodFieldErrors(theirs.error),
  });
}

const anything = fc.anything({ maxDepth: 2, maxKeys: 3 });
const text = (...values: string[]) => fc.oneof(fc.constantFrom(...values), fc.string({ maxLength: 12 }), anything);
const integers = (min: number, max: number) =>
  fc.oneof(
    fc.integer({ min: min - 2, max: max + 2 }),
    fc.constantFrom(min, max, 0.5, -0, 2 ** 53, 1e20, -1e20, Number.MAX_VALUE),
    fc.double({ noNaN: true, noDefaultInfinity: true }),
    anything,
  );
const list = <T>(element: fc.Arbitrary<T>, maxLength: number) =>
  fc.oneof(fc.array(element, { maxLength }), fc.constantFrom('', 'abc', []), anything);
const scopes = list(fc.constantFrom('tokens:read', 'tokens:write', 'api', 'admin', 7), 5);
const cidrs = fc.oneof(
  fc.constant(null),
  list(fc.constantFrom('10.0.0.0/8', '10.0.0.1/8', '::1', '192.168.1.1', '2001:db8::/32', 'nope', '1.2.3.4/33', 5), 24),
);
/**
 * An object of some of these fields, sometimes with fields no shape names; with `valid`
 * (values each shape accepts, and the fields it requires), as often a body it may accept,
 * so that the values made of accepted bodies (scopes in order, networks normalised) are
 * compared too.
 */
const body = (fields: Record<string, fc.Arbitrary<unknown>>, valid?: Valid) =>
  fc.oneof(
    { weight: valid ? 8 : 0, arbitrary: valid ? fc.record(valid.fields, { requiredKeys: valid.required }) : anything },
    { weight: 8, arbitrary: fc.record(fields, { requiredKeys: [] }) },
    {
      weight: 2,
      arbitrary: fc
        .tuple(fc.record(fields, { requiredKeys: [] }), fc.constantFrom('extra', 'constructor', 'toString'))
        .map(([value, extra]) => ({ ...value, [extra]: 1 })),
    },
    { weight: 1, arbitrary: anything },
  );
type Valid = { fields: Record<string, fc.Arbitrary<unknown>>; required: string[] };
const validToken = {
  name: fc.stringMatching(/^[A-Za-z0-9._-]{1,64}$/),
  maxRps: fc.oneof(fc.constant(null), fc.integer({ min: 1, max: 3_000 })),
  expiresAt: fc.constantFrom(null, '2027-01-01T00:00:00Z', '2028-02-29T10:00:00.5+02:00'),
  scopes: fc.array(fc.constantFrom('tokens:read', 'tokens:write', 'api'), { minLength: 1, maxLength: 4 }),
  allowedCidrs: fc.oneof(
    fc.constant(null),
    fc.array(fc.constantFrom('127.0.0.1', '::1', '10.0.0.0/8', '2001:DB8::/32', '::ffff:1.2.3.4', '0.0.0.0/0'), {
      minLength: 1,
      maxLength: 4,
    }),
  ),
};
const tokenFields = {
  name: text('etl', 'a.b-c_d', 'x'.repeat(64), 'x'.repeat(65), 'a b', ''),
  maxRps: fc.oneof(fc.constant(null), integers(1, 3_000)),
  expiresAt: fc.oneof(
    fc.constant(null),
    text('2027-01-01T00:00:00Z', '2027-02-29T00:00:00Z', '2028-02-29T10:00:00.5+02:00', '2027-01-01T00:00:00', '2027'),
  ),
  scopes,
  allowedCidrs: cidrs,
};
const queryFields = {
  limit: fc.constantFrom('1', '50', '100', '0', '101', '-1', '1.5', 'ten', '', '0001', '007'),
  nextToken: fc.oneof(fc.constantFrom('', 'x'.repeat(1_025)), fc.string({ maxLength: 8 })),
  q: fc.constantFrom('sa', 'a b', 'a/b', '', 'x'.repeat(129)),
  tokenName: fc.constantFrom('etl', 'a b', ''),
  type: fc.constantFrom('token.created', 'token.nope', ''),
  incarnation: fc.constantFrom('legacy', '0123456789abcdefghijk', 'nope', ''),
};

describe('the request rules give the answers their documented schemas give', () => {
  const cases: [string, Rule<unknown>, z.ZodMiniType, fc.Arbitrary<unknown>][] = [
    [
      'create',
      rules.createTokenBody,
      docs.createTokenBody,
      body(tokenFields, { fields: validToken, required: ['name'] }),
    ],
    [
      'deprecated create',
      rules.deprecatedCreateTokenBody,
      docs.deprecatedCreateTokenBody,
      body(
        { ...tokenFields, serviceAccountId: text('sa-etl', '') },
        { fields: { ...validToken, serviceAccountId: fc.constant('sa-etl') }, required: ['name', 'serviceAccountId'] },
      ),
    ],
    [
      'update',
      rules.updateTokenBody,
      docs.updateTokenBody,
      body(
        { status: text('ACTIVE', 'SUSPENDED', 'EXPIRED'), maxRps: tokenFields.maxRps, scopes, allowedCidrs: cidrs },
        {
          fields: {
            status: fc.constantFrom('ACTIVE', 'SUSPENDED'),
            maxRps: validToken.maxRps,
            scopes: validToken.scopes,
            allowedCidrs: validToken.allowedCidrs,
          },
          required: [],
        },
      ),
    ],
    [
      'rotate',
      rules.rotateTokenBody,
      docs.rotateTokenBody,
      body({ gracePeriodSeconds: integers(0, 604_800), force: fc.oneof(fc.boolean(), anything) }),
    ],
    ['page', rules.pageQuery, docs.pageQuery, body(queryFields)],
    ['directory listing', rules.directoryListQuery, docs.directoryListQuery, body(queryFields)],
    ['event listing', rules.listEventsQuery, docs.listEventsQuery, body(queryFields)],
    ['admin event listing', rules.adminListEventsQuery, docs.adminListEventsQuery, body(queryFields)],
    ['token name', rules.tokenNamePath, docs.tokenNamePath, body({ name: tokenFields.name })],
    ['user id', rules.userIdPath, docs.userIdPath, body({ userId: text('sa-etl', 'a b', 'a/b', '') })],
    [
      'federation policy',
      policyRules.createPolicyBody,
      policyDocs.createPolicyBody,
      body(
        {
          name: text('deploy', 'x'.repeat(41), 'a b'),
          issuer: text(
            'https://token.actions.githubusercontent.com',
            'http://localhost:8080',
            'ftp://x',
            'x'.repeat(300),
          ),
          jwksHosts: list(fc.constantFrom('github.com', 'localhost', '127.0.0.1', 'bad host', 3), 7),
          audiences: list(fc.constantFrom('sts', '', 'x'.repeat(257), 1), 12),
          subject: text('repo:org/app:ref:refs/heads/main', 'repo:org/*', '*', '*:*', 'x'.repeat(257)),
          claims: fc.oneof(
            fc.dictionary(
              fc.constantFrom('repository', 'ref', 'iss', 'sub', 'bad claim', 'x'.repeat(65), '__proto__'),
              list(fc.constantFrom('org/*', '', 'main', 9), 22),
              { maxKeys: 4 },
            ),
            fc.dictionary(fc.string({ minLength: 1, maxLength: 3 }), fc.constant(['a']), { minKeys: 19, maxKeys: 22 }),
            anything,
          ),
          maxTtlSeconds: integers(60, 3_600),
          maxTokenAgeSeconds: integers(60, 86_400),
          maxRps: tokenFields.maxRps,
          scopes,
          allowedCidrs: cidrs,
        },
        {
          fields: {
            name: fc.constantFrom('deploy', 'a.b-c_d'),
            issuer: fc.constantFrom('https://token.actions.githubusercontent.com', 'http://127.0.0.1:8080'),
            jwksHosts: fc.array(fc.constantFrom('github.com', 'keys.example.com'), { maxLength: 3 }),
            audiences: fc.array(fc.constantFrom('sts', 'https://example.com'), { minLength: 1, maxLength: 3 }),
            subject: fc.constantFrom('repo:org/app:ref:refs/heads/main', 'repo:org/*'),
            claims: fc.dictionary(fc.constantFrom('repository', 'ref', 'environment'), fc.constant(['org/*', 'main'])),
            maxTtlSeconds: fc.integer({ min: 60, max: 3_600 }),
            maxTokenAgeSeconds: fc.integer({ min: 60, max: 86_400 }),
            maxRps: validToken.maxRps,
            scopes: validToken.scopes,
            allowedCidrs: validToken.allowedCidrs,
          },
          required: ['name', 'issuer', 'subject'],
        },
      ),
    ],
    ['policy id', policyRules.policyIdPath, policyDocs.policyIdPath, body({ policyId: text('fp0123456789abcdef') })],
    [
      'policy test',
      policyRules.testPolicyBody,
      policyDocs.testPolicyBody,
      body({ subjectToken: text('a.b.c', '', 'x'.repeat(16_385)) }),
    ],
    [
      'secret scanning report',
      reportsBody,
      secretScanningBody,
      fc.oneof(
        list(
          body({
            token: text('sat_x', 'x'.repeat(4_097)),
            type: text('sat', 'x'.repeat(257)),
            url: text('https://github.com/o/r/blob/x', ''),
            source: text('content', 'x'.repeat(257)),
          }),
          4,
        ),
        fc.constant(Array.from({ length: MAX_REPORTS + 1 }, () => 7)),
      ),
    ],
  ];

  it.each(cases)('%s', (_name, rule, schema, values) => {
    fc.assert(
      fc.property(values, (value) => sameAnswer(rule, schema, value)),
      { seed: SEED, numRuns: RUNS },
    );
  });

  it('reads dates with the pattern zod documents', () => {
    expect(rules.DATE_TIME_PATTERN.source).toBe(iso.datetime({ offset: true })._zod.def.pattern!.source);
  });

  it("says a field's error once, where two checks with one text refuse it", () => {
    const errors: FieldError[] = [];
    check(rules.rotateTokenBody, { gracePeriodSeconds: 1e20 }, errors);
    expect(errors).toStrictEqual([{ field: 'gracePeriodSeconds', message: rules.GRACE_RULE }]);
    expect(docs.rotateTokenBody.safeParse({ gracePeriodSeconds: 1e20 }).error?.issues).toHaveLength(2);
  });

  it('names prototype keys as fields no shape allows, in both', () => {
    const value = JSON.parse('{"name":"n","__proto__":{"admin":true},"constructor":1}');
    sameAnswer(rules.createTokenBody, docs.createTokenBody, value);
    const errors: FieldError[] = [];
    check(rules.createTokenBody, value, errors);
    expect(errors.map((error) => error.field).sort()).toStrictEqual(['__proto__', 'constructor']);
  });
});
