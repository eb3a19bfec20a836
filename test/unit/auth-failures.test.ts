import { describe, expect, it } from '@jest/globals';
import { errors } from 'jose';
import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from 'aws-lambda';
import { Logger } from '@aws-lambda-powertools/logger';
import { createAuthenticator } from '../../shared/auth/authenticate.js';
import { AUTH_FAILURE_DETAILS } from '../../shared/kernel/auth-failures.js';
import { SignatureInvalidError, UnauthorizedError } from '../../shared/kernel/errors.js';
import { ids } from '../../shared/kernel/ids.js';
import { assembleToken, mintToken, parseToken } from '../../shared/kernel/token-format.js';
import { denyContext, localGatewayResponse } from '../../shared/http/gateway-responses.js';
import { BEARER_CHALLENGE, bearerChallenge } from '../../shared/http/www-authenticate.js';
import { inDomain } from '../../shared/middleware/authorization.js';
import { problemErrors } from '../../shared/middleware/problem-errors.js';
import { createToken } from '../../shared/tokens/create-token.js';
import { deleteToken } from '../../shared/tokens/delete-token.js';
import { updateToken } from '../../shared/tokens/update-token.js';
import { memoryTokens } from '../support/memory-tokens.js';

/**
 * What a 401 may say (shared/kernel/auth-failures.ts): what the presented value shows by
 * itself, and a JWT's expiry, which only its issuer's signature can vouch for; never
 * whether a well-formed token exists. On the in-memory adapters the authenticator reads.
 */

const input = (name: string) => ({ serviceAccountId: 'sa-etl', name, maxRps: null, expiresAt: null, createdBy: 'a' });

async function reasonOf(attempt: Promise<unknown>): Promise<string> {
  const error = await attempt.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(UnauthorizedError);
  return (error as UnauthorizedError).reason;
}

describe('why a token is refused', () => {
  it('says a value that is not a well-formed token is malformed: a wrong checksum, a cut token, no token at all', async () => {
    const t = memoryTokens();
    const { token } = await createToken(t.deps, input('ci'));
    for (const bad of [`${token.slice(0, -1)}${token.endsWith('A') ? 'B' : 'A'}`, token.slice(0, -3), 'not-a-token'])
      expect(await reasonOf(t.present(bad))).toBe('malformed-token');
  });

  it('says "Bearer " inside X-API-Token is its own mistake, before anything is read', async () => {
    const t = memoryTokens();
    const { token } = await createToken(t.deps, input('ci'));
    expect(await reasonOf(t.present(`Bearer ${token}`))).toBe('bearer-in-api-token');
    expect(await reasonOf(t.present(`bearer  ${token}`))).toBe('bearer-in-api-token');
  });

  it('gives an unknown id, a wrong secret for a real id, a deleted, a suspended and an expired token one reason', async () => {
    const t = memoryTokens();
    const made = async (name: string, expiresAt: string | null = null) =>
      (await createToken(t.deps, { ...input(name), expiresAt })).token;
    const [real, deleted, suspended] = [await made('a'), await made('b'), await made('c')];
    const expiring = await made('d', '2030-01-02T00:00:00.000Z');
    await deleteToken(t.deps, 'sa-etl', 'b');
    await updateToken(t.deps, 'sa-etl', 'c', { status: 'SUSPENDED' });
    t.advance(2 * 86_400);
    const wrongSecret = assembleToken(parseToken(real)!.lookupId, parseToken(mintToken().token)!.secret);
    const reasons = await Promise.all(
      [mintToken().token, wrongSecret, deleted, suspended, expiring].map((token) => reasonOf(t.present(token))),
    );
    expect(reasons).toStrictEqual(Array(5).fill('invalid-token'));
    expect((await t.present(real)).caller.tokenName).toBe('a');
  });
});

describe('why a JWT is refused', () => {
  const authenticateWith = (verifyJwt: (jwt: string) => Promise<string>) => {
    const t = memoryTokens();
    return createAuthenticator({
      credentials: t.deps.credentials,
      directory: { getPrincipal: async () => undefined },
      verifyJwt,
      userClaim: 'sub',
      clock: () => new Date(),
      ids,
      accountTypeCacheSeconds: 60,
      lastUsedWriteIntervalSeconds: 60,
    });
  };
  const jwt = `e30.${Buffer.from('{"sub":"alice"}').toString('base64url')}.sig`;

  it('says an expired JWT has expired, and any other failure only that it is not accepted', async () => {
    const expired = authenticateWith(async () => {
      throw new errors.JWTExpired('"exp" claim timestamp check failed', {});
    });
    expect(await reasonOf(expired({ authorization: `Bearer ${jwt}` }))).toBe('jwt-expired');
    const forged = authenticateWith(async () => {
      throw new errors.JWSSignatureVerificationFailed();
    });
    expect(await reasonOf(forged({ authorization: `Bearer ${jwt}` }))).toBe('invalid-jwt');
  });

  it('treats a request without a credential, or with another scheme, as one without a credential', async () => {
    const authenticate = authenticateWith(async () => 'alice');
    expect(await reasonOf(authenticate({}))).toBe('missing');
    expect(await reasonOf(authenticate({ authorization: 'Basic YWxpY2U6cGFzcw==' }))).toBe('missing');
  });
});

describe('the WWW-Authenticate challenge', () => {
  it('is RFC 6750’s bare Bearer challenge without a credential, and names invalid_token with one', () => {
    expect(bearerChallenge()).toBe('Bearer realm="service-account-tokens"');
    expect(bearerChallenge('jwt-expired')).toBe(
      'Bearer realm="service-account-tokens", error="invalid_token", error_description="The JWT has expired"',
    );
  });

  it('carries only printable ASCII without quotes or backslashes in its description (RFC 6750 §3)', () => {
    for (const reason of Object.keys(AUTH_FAILURE_DETAILS) as (keyof typeof AUTH_FAILURE_DETAILS)[]) {
      const description = /error_description="([^"]*)"$/.exec(bearerChallenge(reason))?.[1] ?? '';
      expect({ reason, ok: /^[\x20\x21\x23-\x5B\x5D-\x7E]*$/.test(description) }).toStrictEqual({ reason, ok: true });
    }
  });

  it('is the bare one on API Gateway’s UNAUTHORIZED response, which cannot say why', () => {
    const thrown = localGatewayResponse('UNAUTHORIZED');
    expect({ status: thrown.statusCode, challenge: thrown.headers['WWW-Authenticate'] }).toStrictEqual({
      status: 401,
      challenge: BEARER_CHALLENGE,
    });
    expect(JSON.parse(thrown.body).detail).toBe(AUTH_FAILURE_DETAILS.missing);
  });

  it('is the bare one on the authorizer’s Deny, a 401 whose body says why from the Deny’s context', () => {
    for (const reason of Object.keys(AUTH_FAILURE_DETAILS) as (keyof typeof AUTH_FAILURE_DETAILS)[]) {
      const denied = localGatewayResponse('ACCESS_DENIED', { authorizer: denyContext(new UnauthorizedError(reason)) });
      expect({ reason, status: denied.statusCode, challenge: denied.headers['WWW-Authenticate'] }).toStrictEqual({
        reason,
        status: 401,
        challenge: BEARER_CHALLENGE,
      });
      expect(JSON.parse(denied.body)).toStrictEqual({
        type: 'urn:service-account-tokens:problem:unauthorized',
        title: 'Unauthorized',
        status: 401,
        detail: AUTH_FAILURE_DETAILS[reason],
        code: 'UNAUTHORIZED',
      });
    }
  });

  it('is on every 401 a function answers, and on no other status', async () => {
    const answer = async (error: Error) => {
      const request = { error, context: { awsRequestId: 'r' } as Context, response: undefined } as unknown as {
        error: Error;
        response: APIGatewayProxyResult;
        event: APIGatewayProxyEvent;
      };
      await problemErrors(new Logger({ logLevel: 'SILENT' })).onError!(request as never);
      return request.response.headers?.['WWW-Authenticate'];
    };
    expect(await answer(new UnauthorizedError())).toBe(BEARER_CHALLENGE);
    expect(await answer(new UnauthorizedError('invalid-token'))).toBe(bearerChallenge('invalid-token'));
    expect(await answer(new SignatureInvalidError())).toBe('Github-Public-Key-Signature realm="secret-scanning"');
    expect(await answer(new Error('boom'))).toBe(undefined);
  });
});

describe('a refusal in a domain', () => {
  it('names the domain asked for, in words that do not say whether it exists', () => {
    expect(inDomain('No tokens in', 'finanse')).toBe('No tokens in domain "finanse", or there is no such domain.');
    // A name that is no directory id is not repeated.
    expect(inDomain('No tokens in', 'a b/c')).toBe('No tokens in this domain, or there is no such domain.');
    expect(inDomain('No tokens in', undefined)).toBe('No tokens in this domain, or there is no such domain.');
  });
});
