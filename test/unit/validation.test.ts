import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { createTokenBody, pageQuery, TOKEN_NAME_PATTERN, updateTokenBody } from '../../shared/http/validation.js';
import { check, type Rule } from '../../shared/http/rules.js';
import type { FieldError } from '../../shared/kernel/errors.js';
import { readJsonBody } from '../../shared/http/json-body.js';
import { decodeCursor, encodeCursor } from '../../shared/http/cursor.js';

const SEED = 20261128;
/** The rule's value and field errors for one input. */
function validate<T>(rule: Rule<T>, value: unknown): { success: boolean; data?: T; errors: FieldError[] } {
  const errors: FieldError[] = [];
  const data = check(rule, value, errors);
  return { success: errors.length === 0, data, errors };
}
const nameChar = fc.constantFrom(...'ABCXYZabcxyz0189._-');

describe('request validation', () => {
  it('accepts every name of 1 to 64 allowed characters', () => {
    fc.assert(
      fc.property(
        fc.string({ unit: nameChar, minLength: 1, maxLength: 64 }),
        (name) => validate(createTokenBody, { name }).success,
      ),
      { seed: SEED, numRuns: 500 },
    );
  });

  it('refuses names with any other character, and names too long or empty', () => {
    fc.assert(
      fc.property(fc.string({ minLength: 0, maxLength: 80 }), (name) => {
        const ok = validate(createTokenBody, { name }).success;
        expect(ok).toBe(TOKEN_NAME_PATTERN.test(name) && name.length >= 1 && name.length <= 64);
      }),
      { seed: SEED, numRuns: 1000 },
    );
    expect(validate(createTokenBody, { name: 'a b' }).success).toBe(false);
    expect(validate(createTokenBody, { name: 'ünïcode' }).success).toBe(false);
  });

  it('accepts a token maxRps only as an integer from 1 to 3000 (what one item can serve) or null', () => {
    fc.assert(
      fc.property(fc.oneof(fc.integer(), fc.double(), fc.string(), fc.boolean(), fc.constant(null)), (maxRps) => {
        const ok = validate(createTokenBody, { name: 'n', maxRps }).success;
        const expected =
          maxRps === null || (Number.isInteger(maxRps) && (maxRps as number) >= 1 && (maxRps as number) <= 3_000);
        // String(maxRps)
        expect(ok).toBe(expected);
      }),
      { seed: SEED, numRuns: 1000 },
    );
  });

  it('holds a token to what its one item can serve, on create and update alike', () => {
    for (const [maxRps, ok] of [
      [3_000, true],
      [3_001, false],
      [10_000, false],
    ] as const) {
      expect(validate(createTokenBody, { name: 'n', maxRps }).success).toBe(ok);
      expect(validate(updateTokenBody, { maxRps }).success).toBe(ok);
    }
    const refused = validate(createTokenBody, { name: 'n', maxRps: 3_001 });
    expect(refused.errors).toStrictEqual([{ field: 'maxRps', message: 'must be an integer from 1 to 3000, or null' }]);
  });

  it('names every unknown field, including prototype keys', () => {
    const body = JSON.parse('{"name":"n","__proto__":{"admin":true},"constructor":1,"extra":2}');
    const result = validate(createTokenBody, body);
    expect(result.success).toBe(false);
    const fields = result.errors.map((e) => e.field).sort();
    expect(fields).toStrictEqual(['__proto__', 'constructor', 'extra']);
    expect(({} as Record<string, unknown>).admin).toBe(undefined);
  });

  it('requires PATCH to set status or maxRps', () => {
    expect(validate(updateTokenBody, {}).success).toBe(false);
    expect(validate(updateTokenBody, { status: 'SUSPENDED' }).success).toBe(true);
    expect(validate(updateTokenBody, { maxRps: null }).success).toBe(true);
    expect(validate(updateTokenBody, { status: 'EXPIRED' }).success).toBe(false);
  });

  it('reads limit as 1 to 100', () => {
    expect(validate(pageQuery, { limit: '1' }).data?.limit).toBe(1);
    expect(validate(pageQuery, { limit: '100' }).data?.limit).toBe(100);
    for (const limit of ['0', '101', '-1', '1.5', 'ten', '', '0001'])
      expect(validate(pageQuery, { limit }).success).toBe(false) /* limit */;
  });

  it('reads JSON bodies and refuses form bodies', () => {
    expect(readJsonBody('{"a":1}', 'application/json; charset=utf-8')).toStrictEqual({ ok: true, value: { a: 1 } });
    expect(readJsonBody('{"a":1}', undefined)).toStrictEqual({ ok: true, value: { a: 1 } });
    expect(readJsonBody('{"a":1}', 'application/merge-patch+json')).toStrictEqual({ ok: true, value: { a: 1 } });
    expect(readJsonBody('a=1', 'application/x-www-form-urlencoded')).toStrictEqual({ ok: false, error: 'media-type' });
    expect(readJsonBody('{', 'application/json')).toStrictEqual({
      ok: false,
      error: { field: 'body', message: 'is not valid JSON' },
    });
    expect(readJsonBody(null, 'application/json')).toStrictEqual({ ok: true, value: undefined });
  });

  it('round-trips list cursors and refuses anything else', () => {
    fc.assert(
      fc.property(
        fc.string({ unit: nameChar, minLength: 1, maxLength: 64 }),
        (name) => decodeCursor(encodeCursor(name)) === name,
      ),
      {
        seed: SEED,
      },
    );
    for (const bad of [
      '',
      'abc',
      Buffer.from('{"after":1}').toString('base64url'),
      Buffer.from('[]').toString('base64url'),
    ]) {
      // bad
      expect(decodeCursor(bad)).toBe(undefined);
    }
  });
});
