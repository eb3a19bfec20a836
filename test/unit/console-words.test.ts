import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from '@jest/globals';
import type { TokenEvent } from '../../console/src/api/client.js';
import { inWords } from '../../console/src/event-words.js';
import {
  expiryWarning,
  formatDate,
  formatDuration,
  formatSuspension,
  formatTimeUntil,
  lastDayWithin,
  lifetimesWithin,
} from '../../console/src/format.js';
import { bodyOf, checkPolicy, EMPTY, parseClaims, policyFieldErrors } from '../../console/src/policy-fields.js';
import { integerProblem, nameProblem } from '../../console/src/validate.js';

/** The console's words for times, audit events and the New policy form: pure, without a browser. */

const event = (type: TokenEvent['type'], extra: Partial<TokenEvent> = {}): TokenEvent => ({
  id: `e-${type}`,
  time: '2026-12-01T09:00:00.000Z',
  type,
  serviceAccountId: 'sa-etl',
  tokenName: 'ci-pipeline',
  actor: { userId: 'alice', authenticatedBy: 'JWT' },
  requestId: 'r-1',
  sourceIp: '203.0.113.42',
  userAgent: 'terraform/1.9',
  changes: {},
  ...extra,
});
const LIFECYCLE = { userId: 'lifecycle', authenticatedBy: 'SYSTEM' } as const;
const NO_REQUEST = { requestId: null, sourceIp: null, userAgent: null };
const at = (iso: string) => formatDate(iso);
const LEAK_URL = 'https://github.com/org/app/blob/main/.env';
const RETIRED = '2026-11-30T09:00:00.000Z';
const NOTICE = { daysBefore: 7, expiresAt: '2026-12-08T09:00:00.000Z' };
const policy = {
  policyId: 'fp0123456789abcdef',
  serviceAccountId: 'sa-etl',
  name: 'deploy-prod',
  issuer: 'https://token.actions.githubusercontent.com',
  jwksHosts: [],
  audiences: ['https://tokens.example.com'],
  subject: 'repo:org/app:environment:prod',
  claims: {},
  maxTtlSeconds: 900,
  maxTokenAgeSeconds: 3600,
  maxRps: null,
  scopes: ['tokens:read', 'tokens:write', 'api'] as ('tokens:read' | 'tokens:write' | 'api')[],
  allowedCidrs: null,
  createdBy: 'alice',
  createdAt: '2026-12-01T09:00:00.000Z',
};
const exchange = {
  policyId: policy.policyId,
  policyName: 'deploy-prod',
  issuer: policy.issuer,
  subject: 'repo:org/app:environment:staging',
  jti: 'j-1',
};

/** One event of each type docs/events.md lists, and how the Activity tab says it. */
const EXAMPLES: [TokenEvent, string][] = [
  [
    event('token.created', {
      changes: { status: { before: null, after: 'ACTIVE' }, maxRps: { before: null, after: 5 } },
    }),
    'alice created token “ci-pipeline” (Max RPS 5, expires never)',
  ],
  [
    event('token.updated', { changes: { maxRps: { before: null, after: 25 } } }),
    'alice changed Max RPS of token “ci-pipeline” from None to 25',
  ],
  [
    event('token.updated', {
      actor: { userId: 'sa-rotator', authenticatedBy: 'ACCESS_TOKEN', tokenName: 'ops', secret: 'current' },
      changes: { status: { before: 'ACTIVE', after: 'SUSPENDED' } },
    }),
    'Token “ops” of sa-rotator suspended token “ci-pipeline”',
  ],
  [
    event('token.rotated', {
      changes: { previousSecretValidUntil: { before: null, after: '2026-12-02T09:00:00.000Z' } },
    }),
    `alice rotated token “ci-pipeline”: its previous secret works until ${at('2026-12-02T09:00:00.000Z')}`,
  ],
  [
    event('token.grace_period_ended', {
      changes: {
        previousSecretValidUntil: { before: '2026-12-02T09:00:00.000Z', after: '2026-12-01T10:00:00.000Z' },
      },
    }),
    'alice ended the grace period of token “ci-pipeline”: its previous secret, due to work until ' +
      `${at('2026-12-02T09:00:00.000Z')}, stopped`,
  ],
  [event('token.deleted'), 'alice deleted token “ci-pipeline”'],
  [
    event('token.used_after_rotation', {
      actor: { userId: 'sa-etl', authenticatedBy: 'ACCESS_TOKEN', tokenName: 'ci-pipeline' },
      details: { retiredAt: RETIRED },
    }),
    `A caller presented a secret of token “ci-pipeline” that stopped working ${at(RETIRED)}, and was refused`,
  ],
  [
    event('token.refused_network', {
      actor: { userId: 'sa-etl', authenticatedBy: 'ACCESS_TOKEN', tokenName: 'ci-pipeline', secret: 'current' },
    }),
    'A caller called with token “ci-pipeline” from outside its allowed networks, and was refused',
  ],
  [
    event('token.expiring', {
      actor: LIFECYCLE,
      ...NO_REQUEST,
      details: NOTICE,
    }),
    `The lifecycle job sent the notice that token “ci-pipeline” expires ${at(NOTICE.expiresAt)}, in 7 day(s)`,
  ],
  [
    event('token.expired', { actor: LIFECYCLE, ...NO_REQUEST, details: { expiresAt: '2026-12-01T08:00:00.000Z' } }),
    `The lifecycle job recorded that token “ci-pipeline” expired ${at('2026-12-01T08:00:00.000Z')}`,
  ],
  [
    event('token.suspended_unused', {
      actor: LIFECYCLE,
      ...NO_REQUEST,
      changes: { status: { before: 'ACTIVE', after: 'SUSPENDED' } },
      details: { inactiveSince: '2026-09-01', unusedDays: 90 },
    }),
    'The lifecycle job suspended token “ci-pipeline”: unused for 90 days (last used: 2026-09-01)',
  ],
  [
    event('token.exposed', {
      actor: { userId: 'github-secret-scanning', authenticatedBy: 'SYSTEM' },
      changes: { status: { before: 'ACTIVE', after: 'SUSPENDED' } },
      details: {
        reporter: 'github',
        url: LEAK_URL,
        source: 'content',
        secret: 'previous',
      },
    }),
    `GitHub secret scanning found the previous secret of token “ci-pipeline” in public at ${LEAK_URL}; ` +
      'the token was suspended',
  ],
  [
    event('token.exchanged', {
      tokenName: 'deploy-prod.20261201090000-a1b2c3',
      actor: { userId: 'repo:org/app:environment:prod', authenticatedBy: 'JWT' },
      changes: { status: { before: null, after: 'ACTIVE' }, maxRps: { before: null, after: null } },
      exchange: { ...exchange, subject: 'repo:org/app:environment:prod' },
    }),
    'CI job “repo:org/app:environment:prod” exchanged its OIDC token from ' +
      'https://token.actions.githubusercontent.com (policy “deploy-prod”) ' +
      'for token “deploy-prod.20261201090000-a1b2c3” (Max RPS None, expires never)',
  ],
  [
    event('token.exchange_refused', {
      tokenName: '',
      actor: { userId: 'federation', authenticatedBy: 'SYSTEM' },
      exchange: {
        ...exchange,
        error: 'invalid_grant',
        reason: "subject 'repo:org/app:environment:staging' does not match",
      },
    }),
    'The token exchange refused CI job “repo:org/app:environment:staging” from ' +
      'https://token.actions.githubusercontent.com (closest: policy “deploy-prod”): ' +
      "subject 'repo:org/app:environment:staging' does not match",
  ],
  [
    event('federation_policy.created', { tokenName: '', policy }),
    'alice created federation policy “deploy-prod” (issuer https://token.actions.githubusercontent.com, ' +
      'subject repo:org/app:environment:prod)',
  ],
  [event('federation_policy.deleted', { tokenName: '', policy }), 'alice deleted federation policy “deploy-prod”'],
];

describe('audit events in words', () => {
  it('says every event type docs/events.md lists: who did what', () => {
    const table = readFileSync(resolve(import.meta.dirname, '../../docs/events.md'), 'utf8');
    const documented = [...table.matchAll(/^\| `([a-z_]+\.[a-z_.]+)` \|/gm)].map((match) => match[1]);
    expect(documented.length).toBeGreaterThanOrEqual(13);
    expect(new Set(EXAMPLES.map(([example]) => example.type))).toStrictEqual(new Set(documented));
    for (const [example, sentence] of EXAMPLES) {
      const { who, what } = inWords(example);
      expect(`${who} ${what}`).toBe(sentence);
    }
  });

  it('says where a request came from, and nothing when the service acted on its own', () => {
    expect(inWords(EXAMPLES[0]![0]).where).toBe('from 203.0.113.42, terraform/1.9');
    expect(inWords(event('token.expired', { actor: LIFECYCLE, ...NO_REQUEST })).where).toBe(undefined);
  });
});

describe('why a token is suspended', () => {
  it('says it from the token’s suspension: by a person or a token, by secret scanning, or unused', () => {
    const time = '2027-03-06T23:32:00.000Z';
    const when = at(time);
    const none = { by: null, byToken: null, unusedDays: null };
    expect(formatSuspension({ reason: 'MANUAL', at: time, ...none, by: 'alice' })).toBe(`By alice, ${when}`);
    expect(formatSuspension({ reason: 'MANUAL', at: time, ...none, by: 'sa-rotator', byToken: 'ops' })).toBe(
      `By token “ops” of sa-rotator, ${when}`,
    );
    expect(formatSuspension({ reason: 'SECRET_SCANNING', at: time, ...none })).toBe(
      `Reported leaked by GitHub secret scanning, ${when}`,
    );
    expect(formatSuspension({ reason: 'UNUSED', at: time, ...none, unusedDays: 90 })).toBe(
      `Unused for 90 days (the lifecycle job), ${when}`,
    );
    expect(formatSuspension(null)).toBe('Reason not recorded (suspended before reasons were kept): see its Activity');
  });
});

describe('times', () => {
  it('shows every time with its time zone', () => {
    expect(formatDate('2026-12-01T09:00:00.000Z')).toMatch(/2026.*(UTC|GMT|[A-Z]{2,5}|[+-]\d)/);
    expect(formatDate('2026-12-01T09:00:00.000Z')).not.toBe(
      new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'short' }).format(
        new Date('2026-12-01T09:00:00Z'),
      ),
    );
  });

  it('says lengths of time and how far ahead a time is', () => {
    expect([86_400, 3_600, 21_600, 604_800, 900, 30].map(formatDuration)).toStrictEqual([
      '1 day',
      '1 hour',
      '6 hours',
      '1 week',
      '15 minutes',
      '30 seconds',
    ]);
    const now = Date.parse('2026-12-01T00:00:00Z');
    expect(formatTimeUntil('2026-12-04T00:00:00Z', now)).toBe('in 3 days');
    expect(formatTimeUntil('2026-12-01T05:00:00Z', now)).toBe('in 5 hours');
    expect(formatTimeUntil('2026-12-01T00:00:20Z', now)).toBe('in 1 minute');
  });

  it('warns of an expiry within 14 days (the first notice), and not of one further off or passed', () => {
    const now = Date.parse('2026-12-01T00:00:00Z');
    expect(expiryWarning('2026-12-08T00:00:00Z', now)).toBe('Expires in 7 days');
    expect(expiryWarning('2026-12-15T00:00:00Z', now)).toBe('Expires in 14 days');
    expect(expiryWarning('2026-12-15T00:00:01Z', now)).toBe(undefined);
    expect(expiryWarning('2026-11-30T00:00:00Z', now)).toBe(undefined);
    expect(expiryWarning(null, now)).toBe(undefined);
  });
});

describe('the forms’ own checks', () => {
  it('says what is wrong with a name or a number, inline, before any request', () => {
    expect(nameProblem('')).toBe('Name is required.');
    expect(nameProblem('has space')).toBe('Name must be 1–64 letters, digits, dots, underscores or hyphens.');
    expect(nameProblem('a'.repeat(64))).toBe(undefined);
    expect(integerProblem('', 'Max RPS', { min: 1, max: 10_000 })).toBe(undefined);
    expect(integerProblem('0', 'Max RPS', { min: 1, max: 10_000 })).toBe(
      'Max RPS must be a whole number from 1 to 10000.',
    );
    expect(integerProblem('2.5', 'Max RPS', { min: 1, max: 10_000 })).toBeDefined();
  });

  it('reads claims as “claim = pattern” lines, and sends only the fields filled in', () => {
    expect(parseClaims('repository_owner_id = 65\nref = refs/heads/main\nref=refs/tags/*\n')).toStrictEqual({
      repository_owner_id: ['65'],
      ref: ['refs/heads/main', 'refs/tags/*'],
    });
    expect(parseClaims('no pattern here')).toBe(undefined);
    expect(parseClaims('= 65')).toBe(undefined);
    const values = { ...EMPTY, name: 'deploy', issuer: 'https://ci.example.com', subject: 'repo:org/*', maxRps: '5' };
    expect(checkPolicy(values, { maxRps: 10_000 })).toStrictEqual({});
    // The deployment's ceiling (whoami's tokenSettings), not a number of the console's own.
    expect(checkPolicy({ ...values, maxRps: '20000' }, { maxRps: 20_000 })).toStrictEqual({});
    expect(checkPolicy({ ...values, maxRps: '6' }, { maxRps: 5 })).toStrictEqual({
      maxRps: 'Max RPS must be a whole number from 1 to 5.',
    });
    expect(bodyOf(values)).toStrictEqual({
      name: 'deploy',
      issuer: 'https://ci.example.com',
      subject: 'repo:org/*',
      maxRps: 5,
    });
    expect(Object.keys(checkPolicy({ ...EMPTY, claims: 'x' }, { maxRps: 10_000 }))).toStrictEqual([
      'name',
      'issuer',
      'subject',
      'claims',
    ]);
  });

  it('puts the API’s field errors on the form’s fields, a list’s item on its list', () => {
    expect(
      policyFieldErrors({
        errors: [
          { field: 'issuer', message: 'must be an absolute URL' },
          { field: 'audiences.0', message: 'must not be empty' },
          { field: 'claims.env.0', message: 'must not be empty' },
        ],
      }),
    ).toStrictEqual({
      issuer: 'Issuer must be an absolute URL.',
      audiences: 'Audiences must not be empty.',
      claims: 'Claims must not be empty.',
    });
  });
});

describe('lifetimes a deployment accepts', () => {
  it('offers the suggested lifetimes within the longest, and the longest itself when none is it', () => {
    expect(lifetimesWithin(365)).toStrictEqual({ offered: [7, 30, 90, 180, 365], chosen: 90 });
    expect(lifetimesWithin(3650)).toStrictEqual({ offered: [7, 30, 90, 180, 365], chosen: 90 });
    expect(lifetimesWithin(30)).toStrictEqual({ offered: [7, 30], chosen: 30 });
    expect(lifetimesWithin(60)).toStrictEqual({ offered: [7, 30, 60], chosen: 60 });
    expect(lifetimesWithin(1)).toStrictEqual({ offered: [1], chosen: 1 });
  });

  it('ends the date picker on the last day whose end is within the longest lifetime', () => {
    const now = new Date('2026-12-07T01:00:00').getTime();
    expect(lastDayWithin(30, now)).toBe('2027-01-05');
    const late = new Date('2026-12-07T23:59:59.500').getTime();
    expect(lastDayWithin(30, late)).toBe('2027-01-06');
  });
});
