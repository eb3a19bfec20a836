import { MetricUnit } from '@aws-lambda-powertools/metrics';
import middy from '@middy/core';
import httpHeaderNormalizer from '@middy/http-header-normalizer';
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import { ConcurrentUpdateError, PolicyNotFoundError, ServiceAccountNotFoundError } from '../kernel/errors.js';
import { BODY_LIMIT_BYTES, bodyLimit, bodyTooLargeOAuth } from '../http/body-limit.js';
import { requestMeta } from '../http/request-origin.js';
import { observability } from '../http/observability.js';
import type { Clock, IdGenerator } from '../kernel/ports.js';
import type { Observability } from '../http/observability.js';
import type { ExchangeRecords, PolicyStore, ReplayGuard, SubjectTokenVerifier } from './ports.js';
import { isRetryableAwsError } from '../dynamodb/client.js';
import { ExchangeRefused, exchangeToken, type ExchangeDeps } from './exchange.js';
import { IssuerUnavailableError } from './checks.js';

/** What the exchange uses. */
export interface ExchangeEndpointDeps extends Observability {
  policies: PolicyStore;
  replay: ReplayGuard;
  exchangeRecords: ExchangeRecords;
  verifySubjectToken: SubjectTokenVerifier;
  clock: Clock;
  ids: IdGenerator;
}

/**
 * `POST /api/v1/auth/token`: the RFC 8693 token exchange, form-encoded. It has no
 * authorizer: the subject token is the credential. Its answers are OAuth's, not problem
 * JSON: `{ access_token, issued_token_type, token_type, expires_in }`, or RFC 6749 §5.2
 * `{ error, error_description }`, always with `Cache-Control: no-store`.
 */

export const GRANT_TYPE = 'urn:ietf:params:oauth:grant-type:token-exchange';
export const SUBJECT_TOKEN_TYPE = 'urn:ietf:params:oauth:token-type:jwt';
export const ISSUED_TOKEN_TYPE = 'urn:ietf:params:oauth:token-type:access_token';
const KNOWN = ['grant_type', 'subject_token', 'subject_token_type', 'service_account_id', 'requested_ttl'];
const MAX_SUBJECT_TOKEN = 16_384;

type OAuthError =
  | 'invalid_request'
  | 'invalid_grant'
  | 'unsupported_grant_type'
  | 'temporarily_unavailable'
  | 'server_error';

const NO_STORE = { 'Cache-Control': 'no-store', Pragma: 'no-cache' };

export function oauthError(
  status: number,
  error: OAuthError,
  description: string,
  headers: Record<string, string> = {},
): APIGatewayProxyResult {
  // RFC 6749 §5.2: error_description is printable ASCII without `"` and `\`.
  const safe = description.replace(/[^\x20-\x7e]|["\\]/g, '?');
  return {
    statusCode: status,
    headers: { 'Content-Type': 'application/json', ...NO_STORE, ...headers },
    body: JSON.stringify({ error, error_description: safe }),
  };
}

class BadRequest extends Error {
  constructor(
    readonly error: 'invalid_request' | 'unsupported_grant_type',
    readonly description: string,
  ) {
    super(description);
  }
}

interface ExchangeForm {
  subjectToken: string;
  serviceAccountId: string;
  requestedTtl?: number;
}

/** The form's parameters, each present at most once (RFC 6749 §3.2), checked in the RFC's order. */
export function readExchangeForm(
  event: Pick<APIGatewayProxyEvent, 'body' | 'isBase64Encoded' | 'headers'>,
): ExchangeForm {
  const type = (event.headers?.['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
  if (type !== 'application/x-www-form-urlencoded')
    throw new BadRequest('invalid_request', 'send the request as application/x-www-form-urlencoded (RFC 8693)');
  const raw =
    event.body === null || event.body === undefined
      ? ''
      : event.isBase64Encoded
        ? Buffer.from(event.body, 'base64').toString('utf8')
        : event.body;
  const form = new URLSearchParams(raw);
  const one = (name: string): string | undefined => {
    const values = form.getAll(name);
    if (values.length > 1) throw new BadRequest('invalid_request', `parameter '${name}' is given more than once`);
    return values[0] === '' ? undefined : values[0];
  };
  for (const name of new Set(form.keys())) if (KNOWN.includes(name)) one(name);
  const grantType = one('grant_type');
  if (grantType === undefined) throw new BadRequest('invalid_request', `parameter 'grant_type' is required`);
  if (grantType !== GRANT_TYPE) throw new BadRequest('unsupported_grant_type', `grant_type must be ${GRANT_TYPE}`);
  const subjectToken = one('subject_token');
  if (subjectToken === undefined) throw new BadRequest('invalid_request', `parameter 'subject_token' is required`);
  if (subjectToken.length > MAX_SUBJECT_TOKEN)
    throw new BadRequest('invalid_request', `subject_token is longer than ${MAX_SUBJECT_TOKEN} characters`);
  if (one('subject_token_type') !== SUBJECT_TOKEN_TYPE)
    throw new BadRequest('invalid_request', `subject_token_type must be ${SUBJECT_TOKEN_TYPE}`);
  const serviceAccountId = one('service_account_id');
  if (serviceAccountId === undefined || serviceAccountId.length > 256)
    throw new BadRequest('invalid_request', `parameter 'service_account_id' is required (at most 256 characters)`);
  const ttl = one('requested_ttl');
  if (ttl !== undefined && !/^[1-9][0-9]{0,5}$/.test(ttl))
    throw new BadRequest('invalid_request', `requested_ttl must be a whole number of seconds, at least 1`);
  return { subjectToken, serviceAccountId, ...(ttl === undefined ? {} : { requestedTtl: Number(ttl) }) };
}

export function exchangeEndpoint(parts: ExchangeEndpointDeps) {
  const { logger, metrics } = parts;
  const deps: ExchangeDeps = {
    policies: parts.policies,
    replay: parts.replay,
    records: parts.exchangeRecords,
    verify: parts.verifySubjectToken,
    clock: parts.clock,
    ids: parts.ids,
    // Claims as presented, cut short; never the subject token itself.
    onUnrecorded: (details) => logger.info('Exchange refused', { ...details }),
  };
  return (
    middy<APIGatewayProxyEvent, APIGatewayProxyResult>()
      .use(observability(parts))
      // A form over the limit is refused unread, in the route's OAuth shape.
      .use(bodyLimit(BODY_LIMIT_BYTES, bodyTooLargeOAuth))
      .use(httpHeaderNormalizer())
      .handler(async (event) => {
        try {
          const form = readExchangeForm(event);
          const issued = await exchangeToken(deps, { ...form, meta: requestMeta(event) });
          metrics.addMetric('TokenExchanged', MetricUnit.Count, 1);
          return {
            statusCode: 200,
            headers: { 'Content-Type': 'application/json', ...NO_STORE },
            body: JSON.stringify({
              access_token: issued.token,
              issued_token_type: ISSUED_TOKEN_TYPE,
              token_type: 'Bearer',
              expires_in: issued.expiresIn,
            }),
          };
        } catch (error) {
          if (error instanceof BadRequest) return oauthError(400, error.error, error.description);
          if (error instanceof ExchangeRefused) {
            // Refusals before the signature verified are counted, not stored: anyone can send them.
            if (error.verified) metrics.addMetric('TokenExchangeRefused', MetricUnit.Count, 1);
            else metrics.addMetric('TokenExchangeRefusedUnverified', MetricUnit.Count, 1);
            logger.info('Exchange refused', { check: error.check, verified: error.verified });
            return oauthError(400, error.error, error.description);
          }
          // Deleted, or the account left the directory, between the read and the write.
          if (error instanceof PolicyNotFoundError || error instanceof ServiceAccountNotFoundError)
            return oauthError(400, 'invalid_grant', 'the federation policy or its service account is gone');
          if (error instanceof IssuerUnavailableError) {
            metrics.addMetric('IssuerUnavailable', MetricUnit.Count, 1);
            logger.warn('Issuer unavailable', { error });
            return oauthError(
              503,
              'temporarily_unavailable',
              `the issuer's signing keys could not be read; retry later`,
              { 'Retry-After': '30' },
            );
          }
          if (error instanceof ConcurrentUpdateError || isRetryableAwsError(error)) {
            logger.error('Dependency failed', { error });
            return oauthError(503, 'temporarily_unavailable', 'a dependency is temporarily unavailable; retry', {
              'Retry-After': '1',
            });
          }
          logger.error('Unexpected error', { error });
          return oauthError(500, 'server_error', 'an unexpected error occurred');
        }
      })
  );
}
