import middy from '@middy/core';
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import { ServiceUnavailableError, SignatureInvalidError } from '../kernel/errors.js';
import { bodyLimit } from '../http/body-limit.js';
import { jsonResponse } from '../http/problem.js';
import { requestMeta } from '../http/request-origin.js';
import { observability } from '../http/observability.js';
import { problemErrors } from '../middleware/problem-errors.js';
import type { Config } from '../kernel/config.js';
import type { Observability } from '../http/observability.js';
import type { ExposureDeps } from './exposure.js';
import { handleReports } from './exposure.js';
import { GitHubSigningKeys, KeysUnavailableError } from './github-keys.js';
import { parseReports, REPORT_BODY_LIMIT_BYTES } from './reports.js';
import { signatureValid } from './signature.js';
import type { ChangeOrigin } from '../kernel/events.js';

/** What the secret scanning endpoint uses. */
export type ScanningEndpointDeps = Observability & ExposureDeps & { config: Pick<Config, 'secretScanning'> };

/** Who suspends a token a scanner reported: the service, on the scanner's word. */
const actor: ChangeOrigin['actor'] = { userId: 'github-secret-scanning', authenticatedBy: 'SYSTEM' };

const header = (event: APIGatewayProxyEvent, name: string): string | undefined =>
  Object.entries(event.headers ?? {}).find(([key]) => key.toLowerCase() === name)?.[1] ?? undefined;

/**
 * `POST /api/v1/secret-scanning/github`: GitHub's secret scanning partner endpoint. It has
 * no authorizer: the signature over the raw body, by one of GitHub's published keys, is
 * the credential, checked before any byte of the body is read. The answer is the
 * protocol's feedback (a hash and a label per match) and nothing more; the reported
 * strings are never logged.
 */
export function githubSecretScanningEndpoint(
  parts: ScanningEndpointDeps,
  keys = new GitHubSigningKeys({ url: parts.config.secretScanning.githubKeysUrl }),
) {
  return (
    middy<APIGatewayProxyEvent, APIGatewayProxyResult>()
      .use(observability(parts))
      // Its own limit, above every other route's: GitHub batches up to a thousand matches.
      .use(bodyLimit(REPORT_BODY_LIMIT_BYTES))
      .use(problemErrors(parts.logger))
      .handler(async (event) => {
        const keyId = header(event, 'github-public-key-identifier');
        const signature = header(event, 'github-public-key-signature');
        if (!keyId || !signature) throw new SignatureInvalidError();
        // The bytes GitHub signed: API Gateway passes a text body as it arrived.
        const body = Buffer.from(event.body ?? '', event.isBase64Encoded ? 'base64' : 'utf8');
        let key;
        try {
          key = await keys.key(keyId);
        } catch (error) {
          if (error instanceof KeysUnavailableError) throw new ServiceUnavailableError({ cause: error });
          throw error;
        }
        if (!key || !signatureValid(body, signature, key)) throw new SignatureInvalidError();
        const reports = parseReports(body.toString('utf8'));
        const result = await handleReports(parts, reports, { actor, ...requestMeta(event) });
        parts.logger.info('Secret scanning report handled', {
          matches: reports.length,
          exposed: result.exposed,
          suspended: result.suspended,
        });
        return jsonResponse(200, result.feedback);
      })
  );
}
