import { crc32 } from 'node:zlib';
import fc from 'fast-check';
import type { Route } from '../../../infra/routes.js';
import { TOKEN_PREFIX } from '../../../shared/kernel/token-format.js';
import type { RawRequest } from './harness.js';

/**
 * Arbitraries for hostile HTTP requests: every part of a request a client controls
 * (path parameters, query string, headers, body) is either the valid value or something
 * an attacker, a fuzzer or a broken client would send. Valid values stay likely, so
 * requests reach each layer in turn (authorizer, permission, validation, handler)
 * instead of all being refused at the first.
 */

/** Names Object.prototype already has: a plain object used as a map mistakes them for its own. */
export const PROTOTYPE_KEYS = [
  '__proto__',
  'constructor',
  'prototype',
  'toString',
  'valueOf',
  'hasOwnProperty',
  'isPrototypeOf',
  '__defineGetter__',
];
const isPrototypeKey = (key: string) => key in Object.prototype || key === 'prototype';

const percentBytes = (bytes: Uint8Array) =>
  [...bytes].map((b) => `%${b.toString(16).padStart(2, '0').toUpperCase()}`).join('');

/** encodeURIComponent, except that a lone surrogate becomes the bytes of one (invalid UTF-8). */
export function encode(text: string): string {
  try {
    return encodeURIComponent(text);
  } catch {
    return text
      .split('')
      .map((c) => (/[\ud800-\udfff]/.test(c) ? '%ED%A0%80' : encodeURIComponent(c)))
      .join('');
  }
}

/** A path segment as sent on the wire (already percent-encoded where needed). */
export function segment(valid: string): fc.Arbitrary<string> {
  const hostile = fc.oneof(
    fc.string({ unit: 'grapheme', maxLength: 60 }).map(encode),
    fc.string({ unit: 'binary', maxLength: 30 }).map(encode),
    fc.uint8Array({ minLength: 1, maxLength: 40 }).map(percentBytes),
    fc.integer({ min: 65, max: 4000 }).map((n) => 'a'.repeat(n)),
    // Characters a path may carry unencoded (RFC 3986 sub-delims and friends).
    fc.string({ unit: fc.constantFrom(..."abz09-_.~!$&'()*+,;=:@"), minLength: 1, maxLength: 40 }),
    fc.constantFrom(
      '..',
      '.',
      '%2e%2e',
      '%2E',
      '%2F',
      '%2f..%2f',
      '%00',
      '%0d%0a',
      '%ED%A0%80',
      '%C0%AF',
      '%FF',
      '%',
      '%zz',
      '%2',
      'TOKEN%23keep',
      'SA%23hx-sa',
      'hx-sa%23GROUP%23hx-team',
      "hx-sa'%20OR%20'1'%3D'1",
      '%24%7Bjndi%3Aldap%3A%2F%2Fx%7D',
      'keep%20',
      '%20keep',
      'KEEP',
      'keep.',
      'hx-sa%2Fhx-sa',
      encode(`${valid}\u200b`),
      encode(valid.toUpperCase()),
    ),
  );
  return fc.oneof({ weight: 3, arbitrary: fc.constant(valid) }, { weight: 2, arbitrary: hostile });
}

/** Cursors as the service makes them (base64url JSON), around any string. */
const cursorOf = (after: unknown) => Buffer.from(JSON.stringify({ after }), 'utf8').toString('base64url');

const queryValue = fc.oneof(
  fc.string({ unit: 'grapheme', maxLength: 40 }),
  fc.string({ unit: 'binary', maxLength: 20 }),
  fc.integer({ min: -1000, max: 100_000 }).map(String),
  fc.constantFrom(
    '0',
    '1',
    '100',
    '101',
    '-1',
    '1.5',
    '1e2',
    ' 5',
    '5 ',
    '',
    '0x10',
    '٣',
    'null',
    '[]',
    '{}',
    'undefined',
    'NaN',
  ),
  fc.string({ unit: 'grapheme', maxLength: 300 }).map(cursorOf),
  fc.constantFrom(
    cursorOf(null),
    cursorOf(42),
    cursorOf({}),
    cursorOf('\ud800'),
    cursorOf(''),
    cursorOf('x'.repeat(760)),
    'e30',
    '!!!',
    '====',
    Buffer.from('{"after":').toString('base64url'),
  ),
  fc.integer({ min: 1000, max: 6000 }).map((n) => 'A'.repeat(n)),
);

const queryKey = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom('limit', 'nextToken', 'q') },
  { weight: 1, arbitrary: fc.string({ unit: 'grapheme', maxLength: 12 }).filter((key) => !isPrototypeKey(key)) },
);

/** A query string without the `?`, empty for none. Prototype-named keys have their own test. */
export const queryString: fc.Arbitrary<string> = fc.oneof(
  { weight: 2, arbitrary: fc.constantFrom('', 'limit=5', 'limit=1', 'limit=100') },
  {
    weight: 3,
    arbitrary: fc
      .array(fc.tuple(queryKey, queryValue), { maxLength: 6 })
      .map((pairs) => pairs.map(([key, value]) => `${encode(key)}=${encode(value)}`).join('&')),
  },
  {
    weight: 1,
    arbitrary: fc.constantFrom(
      '%',
      '%%',
      '&&&',
      '=',
      '==x',
      'limit',
      'limit=%zz',
      'nextToken=%ED%A0%80',
      'limit=1&limit=2&limit=abc',
      'q=sa-&q=al',
      'q=%00',
      'q=MEMBER%23',
      'q[]=a',
      'limit[]=1',
      'limit[$gt]=0',
      'nextToken=&limit=',
      'a=1;b=2',
      '+=+',
    ),
  },
);

export const CONTENT_TYPES = [
  'application/json',
  'application/json; charset=utf-8',
  'APPLICATION/JSON',
  'application/json;charset=latin1',
  'application/problem+json',
  'application/merge-patch+json',
  'text/plain',
  'text/plain; charset=utf-16',
  'application/x-www-form-urlencoded',
  'multipart/form-data; boundary=----x',
  'application/xml',
  'application/octet-stream',
  '*/*',
  '',
  ';;;',
  'json',
  'application/json, text/html',
];

const headerName = fc
  .string({ unit: fc.constantFrom(...'abcdefghijklmnopqrstuvwxyzABCXYZ0123456789-_'), minLength: 1, maxLength: 30 })
  .filter(
    (name) =>
      !isPrototypeKey(name) &&
      ![
        'content-length',
        'host',
        'connection',
        'transfer-encoding',
        'content-type',
        'authorization',
        'x-api-token',
        'expect',
        'upgrade',
        'te',
        'trailer',
      ].includes(name.toLowerCase()),
  );
/** Header values: printable ASCII and Latin-1 bytes 0x80–0xFF, which HTTP allows and UTF-8 does not. */
const headerValue = fc
  .string({
    unit: fc
      .integer({ min: 0x20, max: 0xff })
      .filter((code) => code !== 0x7f)
      .map((code) => String.fromCharCode(code)),
    maxLength: 2000,
  })
  .map((value) => value.trim());

export const extraHeaders: fc.Arbitrary<[string, string][]> = fc.array(fc.tuple(headerName, headerValue), {
  maxLength: 4,
});

/** Bodies: the valid shape, JSON of any shape, near misses, and bytes that are not JSON or not UTF-8. */
export function body(valid: fc.Arbitrary<Record<string, unknown>>): fc.Arbitrary<Buffer> {
  const fieldNames = [
    'name',
    'maxRps',
    'expiresAt',
    'status',
    'serviceAccountId',
    'token',
    'secretHash',
    'lookupId',
    'createdBy',
  ];
  const nearMiss = fc
    .tuple(
      valid,
      fc.constantFrom(...fieldNames),
      fc.oneof(
        fc.jsonValue({ maxDepth: 3 }),
        fc.constantFrom(
          null,
          true,
          0,
          -1,
          1.5,
          10_001,
          1e21,
          '',
          ' ',
          'ACTIVE',
          'SUSPENDED',
          'EXPIRED',
          'active',
          [],
          {},
          ['ACTIVE'],
          { $gt: '' },
        ),
        fc.string({ unit: 'binary', maxLength: 80 }),
        fc.integer({ min: 65, max: 100_000 }).map((n) => 'n'.repeat(n)),
        fc.date({ noInvalidDate: true }).map((d) => d.toISOString()),
        fc.date({ noInvalidDate: true }).map((d) => d.toISOString().replace('Z', '+14:00')),
        fc.constantFrom(
          '2026-02-30T00:00:00Z',
          '2026-13-01T00:00:00Z',
          '2026-12-01T24:00:00Z',
          '2026-12-01',
          '2026-12-01T00:00:00',
          '2026-12-01T00:00:00.123456789+05:30',
          '+275760-09-13T00:00:00Z',
          'tomorrow',
        ),
      ),
    )
    .map(([base, field, value]) => ({ ...base, [field]: value }));
  const json = (value: unknown) => Buffer.from(JSON.stringify(value), 'utf8');
  const deep = fc
    .tuple(fc.integer({ min: 50, max: 200_000 }), fc.constantFrom('[', '{"a":'))
    .map(([depth, open]) => Buffer.from(`${open.repeat(depth)}1${(open === '[' ? ']' : '}').repeat(depth)}`));
  const raw = fc
    .constantFrom(
      '{',
      '}',
      '[',
      'null',
      'true',
      '0',
      '"name"',
      '[]',
      '{"name":}',
      '{"name":"a",}',
      "{'name':'a'}",
      '{"name":"a"}garbage',
      '{"maxRps":NaN}',
      '{"maxRps":Infinity}',
      '{"maxRps":1e999}',
      '{"maxRps":-0}',
      '{"maxRps":0x10}',
      '/*c*/{"name":"a"}',
      '\ufeff{"name":"bom"}',
      '{"name":"a\u0000b"}',
      '{"name":"\\ud800"}',
      '{"status":"ACTIVE","status":"BOGUS"}',
      '{"name":"dup-a","name":"dup-b"}',
      '{"status":"SUSPENDED","maxRps":1,"maxRps":null}',
      '{"name":"x","serviceAccountId":"hx-sa","serviceAccountId":"hx-other"}',
      '{"serviceAccountId":"hx-other","serviceAccountId":"hx-sa","name":"dup-target"}',
      ' ',
      '\n\n',
    )
    .map((text) => Buffer.from(text, 'utf8'));
  const notUtf8 = fc.oneof(
    fc.uint8Array({ minLength: 1, maxLength: 200 }).map((bytes) => Buffer.from(bytes)),
    fc.constantFrom(
      Buffer.from([0x7b, 0x22, 0x6e, 0x61, 0x6d, 0x65, 0x22, 0x3a, 0x22, 0xff, 0xfe, 0x22, 0x7d]), // {"name":"\xff\xfe"}
      Buffer.from([0x7b, 0x22, 0x6e, 0x61, 0x6d, 0x65, 0x22, 0x3a, 0x22, 0xc0, 0xaf, 0x22, 0x7d]), // overlong "/"
      Buffer.from([0x7b, 0x22, 0x6e, 0x61, 0x6d, 0x65, 0x22, 0x3a, 0x22, 0xed, 0xa0, 0x80, 0x22, 0x7d]), // encoded lone surrogate
      Buffer.from('{"name":"utf16"}', 'utf16le'),
    ),
  );
  const huge = fc.integer({ min: 100_000, max: 2_000_000 }).map((n) => Buffer.from(`{"name":"${'x'.repeat(n)}"}`));
  return fc.oneof(
    { weight: 4, arbitrary: valid.map(json) },
    { weight: 4, arbitrary: nearMiss.map(json) },
    { weight: 2, arbitrary: fc.jsonValue({ maxDepth: 4 }).map(json) },
    { weight: 2, arbitrary: raw },
    { weight: 1, arbitrary: notUtf8 },
    { weight: 1, arbitrary: deep },
    { weight: 1, arbitrary: huge },
  );
}

export const tokenName = fc.stringMatching(/^[A-Za-z0-9._-]{1,64}$/);

/** A token the format accepts (prefix, length, checksum) whose secret nobody issued. */
export function forgeToken(lookupId: string, secret: string): string {
  const body = `${TOKEN_PREFIX}${lookupId}${secret}`;
  let rest = BigInt(crc32(body));
  let checksum = '';
  const alphabet = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
  while (rest > 0n) {
    checksum = alphabet[Number(rest % 62n)] + checksum;
    rest /= 62n;
  }
  return `${body}${checksum.padStart(6, '0')}`;
}

export const base62 = (length: number) =>
  fc.string({
    unit: fc.constantFrom(...'0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz'),
    minLength: length,
    maxLength: length,
  });

/** The route's path with `{param}` replaced by the given wire segments. */
export function pathOf(route: Route, params: Record<string, string>): string {
  return route.path.replace(/\{(\w+)\}/g, (_, name: string) => params[name] ?? '');
}

export function rawRequest(parts: {
  method: string;
  path: string;
  query: string;
  headers: [string, string][];
  body?: Buffer;
}): RawRequest {
  return {
    method: parts.method,
    path: parts.query === '' ? parts.path : `${parts.path}?${parts.query}`,
    headers: parts.headers,
    ...(parts.body === undefined ? {} : { body: parts.body }),
  };
}
