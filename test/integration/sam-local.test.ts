import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { APIGatewayRequestAuthorizerEvent, Context } from 'aws-lambda';
import { createAuthorizer } from '../../shared/auth/authorizer.js';
import { startTestService, type TestService } from '../support/service.js';

/**
 * Under `sam local start-api`, an authorizer that throws `Unauthorized` is answered 502:
 * SAM validates the answer as a policy and finds none. The authorizer refuses with a Deny
 * policy everywhere, which SAM answers with its own 403, and API Gateway (and the local
 * gateway) with the ACCESS_DENIED gateway response, a 401 that reads the Deny's context.
 */
let sam: TestService;
beforeAll(async () => {
  sam = await startTestService({ env: { AWS_SAM_LOCAL: 'true' } });
});
afterAll(async () => sam?.stop());

const context = {
  awsRequestId: 'r',
  functionName: 'authorizer',
  getRemainingTimeInMillis: () => 10_000,
} as unknown as Context;
const methodArn = 'arn:aws:execute-api:us-east-1:123456789012:abcdef/prod/GET/api/v1/auth/whoami';
const event = (headers: Record<string, string>) =>
  ({ type: 'REQUEST', methodArn, headers }) as unknown as APIGatewayRequestAuthorizerEvent;

describe('refusals, as SAM and API Gateway take them', () => {
  it('are a Deny policy SAM accepts (a principal, a policy naming the method) carrying why, never a throw', async () => {
    const authorizer = createAuthorizer(sam.service.runtime);
    const cases: [Record<string, string>, string][] = [
      [{}, 'UNAUTHORIZED'],
      [{ 'X-API-Token': 'iomsat_not-a-token' }, 'This is not a well-formed access token'],
      [{ Authorization: 'Bearer not.a.jwt' }, 'The bearer JWT is not accepted'],
    ];
    for (const [headers, says] of cases) {
      const answer = await authorizer(event(headers), context);
      expect(answer).toStrictEqual({
        principalId: 'anonymous',
        policyDocument: {
          Version: '2012-10-17',
          Statement: [{ Action: 'execute-api:Invoke', Effect: 'Deny', Resource: methodArn }],
        },
        // What its gateway response says (ACCESS_DENIED reads the Deny's context).
        context: {
          problemType: 'urn:service-account-tokens:problem:unauthorized',
          problemCode: 'UNAUTHORIZED',
          problemTitle: 'Unauthorized',
          problemDetail: expect.any(String),
        },
      });
      expect(`${answer.context!.problemCode} ${answer.context!.problemDetail}`).toContain(says);
    }
  });

  it('answer 401 problem JSON through a gateway, not a 5xx', async () => {
    const reply = await sam.call('GET', '/api/v1/auth/whoami', {
      token: 'iomsat_0000000000000000000000000000000000000000000000000000000000000000',
    });
    expect(reply.status).toBe(401);
    expect(reply.body.code).toBe('UNAUTHORIZED');
  });

  it('leave valid credentials alone', async () => {
    expect((await sam.call('GET', '/api/v1/auth/whoami', { as: 'alice' })).status).toBe(200);
  });
});
