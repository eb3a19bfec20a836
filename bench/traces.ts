import type { TraceRequest } from './server-process.js';
import { exchangeForm } from './federation.js';
import { SMALL } from './fixture.js';
import { listPath } from './scenarios.js';

/**
 * The DynamoDB calls of each endpoint: the requests traced through the service (one of
 * each route the README's table lists), and the table rows made of their traces.
 */

export interface Trace {
  name: string;
  status: number;
  phases: { phase: string; calls: number; sequentialRoundTrips: number; commands: string[] }[];
}

export interface DynamoDbCalls {
  endpoint: string;
  calls: number;
  sequentialRoundTrips: number;
  commands: string[];
}

/** The requests traced, in order: the first warms up and is not reported. */
export function traceRequests(inputs: {
  jwt: string;
  traceToken: string;
  /** A rotated token's replaced secret, in its grace period. */
  previous: string;
  federatedToken: string;
  takeSubject: () => string;
}): TraceRequest[] {
  const { jwt, traceToken, previous, federatedToken, takeSubject } = inputs;
  return [
    { name: 'warm-up', method: 'GET', path: listPath(SMALL.account), headers: { authorization: `Bearer ${jwt}` } },
    // Twice: the first use in a minute also records lastUsedAt; the second is every other call.
    {
      name: 'whoami-token-first-use',
      method: 'GET',
      path: '/api/v1/auth/whoami',
      headers: { 'x-api-token': traceToken },
    },
    { name: 'whoami-token', method: 'GET', path: '/api/v1/auth/whoami', headers: { 'x-api-token': traceToken } },
    // Twice as well: the steady state of the replaced secret is the second.
    ...[1, 2].map((n) => ({
      name: n === 1 ? 'warm-up-previous-secret' : 'whoami-token-previous-secret',
      method: 'GET',
      path: '/api/v1/auth/whoami',
      headers: { 'x-api-token': previous },
    })),
    { name: 'whoami-jwt', method: 'GET', path: '/api/v1/auth/whoami', headers: { authorization: `Bearer ${jwt}` } },
    {
      name: 'whoami-federated-token',
      method: 'GET',
      path: '/api/v1/auth/whoami',
      headers: { 'x-api-token': federatedToken },
    },
    {
      name: 'exchange',
      method: 'POST',
      path: '/api/v1/auth/token',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: exchangeForm(takeSubject(), SMALL.account),
    },
    {
      name: 'list-domain-tokens',
      method: 'GET',
      path: listPath(SMALL.account),
      headers: { authorization: `Bearer ${jwt}` },
    },
    {
      name: 'list-admin-tokens',
      method: 'GET',
      path: `/api/v1/auth/service-accounts/${SMALL.account}/tokens`,
      headers: { authorization: `Bearer ${jwt}` },
    },
    ...(['domain', 'admin'] as const).flatMap((scope): TraceRequest[] => {
      const base =
        scope === 'domain' ? listPath(SMALL.account) : `/api/v1/auth/service-accounts/${SMALL.account}/tokens`;
      const headers = { authorization: `Bearer ${jwt}`, 'content-type': 'application/json' };
      return [
        {
          name: `create-${scope}-token`,
          method: 'POST',
          path: base,
          headers,
          body: JSON.stringify({ name: `trace-${scope}` }),
        },
        {
          name: `update-${scope}-token`,
          method: 'PATCH',
          path: `${base}/trace-${scope}`,
          headers,
          body: JSON.stringify({ maxRps: 9 }),
        },
        { name: `delete-${scope}-token`, method: 'DELETE', path: `${base}/trace-${scope}`, headers },
        {
          name: `create-${scope}-token-deprecated`,
          method: 'POST',
          path:
            scope === 'domain'
              ? '/api/v1/domains/bench/auth/service-accounts/tokens'
              : '/api/v1/auth/service-accounts/tokens',
          headers,
          body: JSON.stringify({ name: `trace-${scope}-old`, serviceAccountId: SMALL.account }),
        },
      ];
    }),
  ];
}

/** A row per endpoint (the authorizer by its kind of caller), from the traces after the warm-up. */
export function dynamodbCallsOf(traces: Trace[]): DynamoDbCalls[] {
  const dynamodbCalls: DynamoDbCalls[] = [];
  for (const trace of traces.slice(1)) {
    if (trace.status >= 300) throw new Error(`trace ${trace.name} answered ${trace.status}`);
    if (trace.name.startsWith('warm-up')) continue;
    for (const phase of trace.phases) {
      const endpoint =
        phase.phase !== 'authorizer'
          ? phase.phase
          : trace.name === 'whoami-token-first-use'
            ? 'authorizer (access token, first use in a minute: + lastUsedAt)'
            : trace.name === 'whoami-federated-token'
              ? 'authorizer (federated token)'
              : trace.name === 'whoami-token-previous-secret'
                ? 'authorizer (replaced secret, in its grace period)'
                : `authorizer (${trace.name === 'whoami-token' ? 'access token' : 'JWT'})`;
      if (dynamodbCalls.some((row) => row.endpoint === endpoint)) continue;
      dynamodbCalls.push({
        endpoint,
        calls: phase.calls,
        sequentialRoundTrips: phase.sequentialRoundTrips,
        commands: phase.commands,
      });
    }
  }
  if (!dynamodbCalls.some((row) => row.endpoint === 'authorizer (JWT)')) {
    dynamodbCalls.push({ endpoint: 'authorizer (JWT)', calls: 0, sequentialRoundTrips: 0, commands: [] });
  }
  return dynamodbCalls;
}

/** Warm durations of a token-authenticated call, for the cost model (bench/cost-model.ts). */
export function durationRequests(traceToken: string): TraceRequest[] {
  return [{ name: 'whoami-token', method: 'GET', path: '/api/v1/auth/whoami', headers: { 'x-api-token': traceToken } }];
}
