import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { APIGatewayRequestAuthorizerEvent, Context } from 'aws-lambda';
import { createAuthorizer } from '../../shared/auth/authorizer.js';
import { startTestService, type TestService } from '../support/service.js';

/**
 * Under `sam local start-api` (SAM sets AWS_SAM_LOCAL=true in the function's container), an
 * authorizer that throws `Unauthorized` is answered 502: SAM validates the answer as a
 * policy and finds none. There the authorizer refuses with a Deny policy, which SAM
 * answers 403; in AWS it keeps throwing, which API Gateway answers 401.
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

describe('refusals under sam local', () => {
  it('are a Deny policy SAM accepts (a principal, a policy naming the method), never a thrown error', async () => {
    const authorizer = createAuthorizer(sam.service.runtime);
    for (const headers of [
      {},
      { 'X-API-Token': 'iomsat_not-a-token' },
      { Authorization: 'Bearer not.a.jwt' },
    ] as Record<string, string>[]) {
      await expect(authorizer(event(headers), context)).resolves.toStrictEqual({
        principalId: 'anonymous',
        policyDocument: {
          Version: '2012-10-17',
          Statement: [{ Action: 'execute-api:Invoke', Effect: 'Deny', Resource: methodArn }],
        },
        // What its gateway response says (ACCESS_DENIED reads the Deny's context).
        context: {
          problemType: 'urn:service-account-tokens:problem:forbidden',
          problemCode: 'FORBIDDEN',
          problemTitle: 'Forbidden',
          problemDetail: 'Access denied.',
        },
      });
    }
  });

  it('answer 403 problem JSON through a gateway, not a 5xx', async () => {
    const reply = await sam.call('GET', '/api/v1/auth/whoami', {
      token: 'iomsat_0000000000000000000000000000000000000000000000000000000000000000',
    });
    expect(reply.status).toBe(403);
    expect(reply.body.code).toBe('FORBIDDEN');
  });

  it('leave valid credentials alone', async () => {
    expect((await sam.call('GET', '/api/v1/auth/whoami', { as: 'alice' })).status).toBe(200);
  });

  it('are still a thrown Unauthorized outside SAM, which API Gateway answers 401', async () => {
    const aws = await startTestService();
    try {
      await expect(createAuthorizer(aws.service.runtime)(event({}), context)).rejects.toThrow(/^Unauthorized$/);
    } finally {
      await aws.stop();
    }
  });
});
