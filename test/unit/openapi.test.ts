import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from '@jest/globals';
import { openApiDocument } from '../../infra/openapi.js';
import { routes } from '../../infra/routes.js';
import { contractProblems } from '../support/contract.js';

const committed = JSON.parse(readFileSync(resolve(import.meta.dirname, '../../docs/openapi.json'), 'utf8'));

const TOKEN = {
  name: 'ci',
  serviceAccountId: 'sa-etl',
  status: 'ACTIVE',
  maxRps: 5,
  enforcedMaxRps: 4,
  expiresAt: null,
  createdAt: '2026-11-30T10:00:00.000Z',
  createdBy: 'alice',
  updatedAt: '2026-11-30T10:00:00.000Z',
  lastUsedAt: null,
  prefix: 'iomsat_0123456789abcdef',
  rotatedAt: null,
  rotatedBy: null,
  previousSecret: null,
  kind: 'STORED',
  policyName: null,
  scopes: ['tokens:read', 'tokens:write', 'api'],
  allowedCidrs: null,
  suspension: null,
};
const PATH = '/api/v1/domains/finance/auth/service-accounts/sa-etl/tokens/ci';
const json = (status: number, body: unknown) => ({
  status,
  contentType: 'application/json',
  text: JSON.stringify(body),
  body,
});

describe('the OpenAPI document', () => {
  it('is what the route table and the schemas generate (npm run openapi)', () => {
    expect(committed).toStrictEqual(openApiDocument());
  });

  it('has one operation per route, named by the route id', () => {
    const operations = Object.values(
      committed.paths as Record<string, Record<string, { operationId: string }>>,
    ).flatMap((item) => Object.values(item));
    expect(operations.map((operation) => operation.operationId).sort()).toStrictEqual(
      routes.map((route) => route.id).sort(),
    );
  });

  it('accepts an answer that follows it', () => {
    expect(contractProblems('PATCH', PATH, json(200, TOKEN))).toStrictEqual([]);
    expect(
      contractProblems('DELETE', PATH, { status: 204, contentType: null, text: '', body: undefined }),
    ).toStrictEqual([]);
  });

  it('finds an undocumented status, a wrong content type, a missing or an extra field, and a body where none is documented', () => {
    expect(contractProblems('PATCH', PATH, json(201, TOKEN))).toStrictEqual([
      `PATCH ${PATH} → 201: status not documented`,
    ]);
    expect(contractProblems('PATCH', PATH, json(404, { code: 'TOKEN_NOT_FOUND' }))[0]).toMatch(
      /content type "application\/json", documented application\/problem\+json/,
    );
    const { prefix: _gone, ...withoutPrefix } = TOKEN;
    expect(contractProblems('PATCH', PATH, json(200, withoutPrefix))).toStrictEqual([
      `PATCH ${PATH} → 200: body must have required property 'prefix'`,
    ]);
    expect(contractProblems('PATCH', PATH, json(200, { ...TOKEN, secretHash: 'x' }))).toStrictEqual([
      `PATCH ${PATH} → 200: body must NOT have additional properties`,
    ]);
    expect(contractProblems('DELETE', PATH, json(204, {}))).toStrictEqual([
      `DELETE ${PATH} → 204: documented without a body, but has one`,
    ]);
  });

  it('holds unknown routes to the problem shape of a 404', () => {
    const notFound = {
      type: 'urn:service-account-tokens:problem:not-found',
      title: 'Not found',
      status: 404,
      detail: 'No such route.',
      code: 'NOT_FOUND',
    };
    expect(
      contractProblems('GET', '/nowhere', {
        status: 404,
        contentType: 'application/problem+json',
        text: '{}',
        body: notFound,
      }),
    ).toStrictEqual([]);
    expect(contractProblems('GET', '/nowhere', json(200, {}))).toStrictEqual([
      'GET /nowhere → 200: status not documented',
    ]);
  });
});
