import type { Route } from '../route-types.js';
import { createPolicyBody, testPolicyBody } from '../../shared/federation/request-schemas.js';
import {
  federationPolicyListSchema,
  federationPolicySchema,
  policyTestSchema,
} from '../../shared/http/response-schemas.js';
import {
  ADMIN_BASE,
  DOMAIN_BASE,
  POLICY_CREATE,
  POLICY_DELETE,
  POLICY_READ,
  PROFILES,
  TOKEN_PROBLEMS,
} from './common.js';

/** The federation policies' routes, for one scope. */
export function federationRoutes(scope: 'domain' | 'admin'): Route[] {
  const base = `${scope === 'domain' ? DOMAIN_BASE : ADMIN_BASE}/{serviceAccountId}/federation-policies`;
  const where = scope;
  const who =
    scope === 'domain'
      ? 'Authorized as the domain’s token endpoints, same group included.'
      : 'Authorized as the admin token endpoints, same group included.';
  return [
    {
      id: `list-${where}-federation-policies`,
      method: 'GET',
      path: base,
      auth: 'authenticated',
      dynamodb: POLICY_READ,
      partitions: [...PROFILES, 'account'],
      tag: 'Federation',
      summary: `List federation policies (${where})`,
      description: `Every federation policy of the account (at most 50). ${who}`,
      success: { status: 200, description: 'The policies', schema: federationPolicyListSchema },
      problems: TOKEN_PROBLEMS,
    },
    {
      id: `create-${where}-federation-policy`,
      keyChanges: true,
      method: 'POST',
      path: base,
      auth: 'authenticated',
      dynamodb: POLICY_CREATE,
      partitions: [...PROFILES, 'account', 'capacity', 'events'],
      jsonBody: true,
      tag: 'Federation',
      summary: `Create a federation policy (${where})`,
      description:
        `Which CI jobs (issuer, audience, subject, claims) may exchange their OIDC token for an access token of ` +
        `the account; with maxRps, one rate-limit key shared by every token it issues. ${who}`,
      body: createPolicyBody,
      success: { status: 201, description: 'The policy', schema: federationPolicySchema, headers: ['Location'] },
      problems: [...TOKEN_PROBLEMS, 409, 415],
    },
    {
      id: `get-${where}-federation-policy`,
      method: 'GET',
      path: `${base}/{policyId}`,
      auth: 'authenticated',
      dynamodb: ['dynamodb:GetItem'],
      partitions: [...PROFILES, 'account'],
      tag: 'Federation',
      summary: `Get a federation policy (${where})`,
      description: who,
      success: { status: 200, description: 'The policy', schema: federationPolicySchema },
      problems: TOKEN_PROBLEMS,
    },
    {
      id: `delete-${where}-federation-policy`,
      keyChanges: true,
      method: 'DELETE',
      path: `${base}/{policyId}`,
      auth: 'authenticated',
      dynamodb: POLICY_DELETE,
      partitions: [...PROFILES, 'account', 'capacity', 'events'],
      tag: 'Federation',
      summary: `Delete a federation policy (${where})`,
      description:
        `No exchange issues a token for it from then on. With maxRps its shared key is deleted, so the gateway ` +
        `refuses the tokens it issued; without, they work until they expire (at most maxTtlSeconds) unless ` +
        `suspended or deleted. ${who}`,
      success: { status: 204, description: 'Deleted' },
      problems: [...TOKEN_PROBLEMS, 409],
    },
    {
      id: `test-${where}-federation-policy`,
      method: 'POST',
      path: `${base}/{policyId}/test`,
      auth: 'authenticated',
      dynamodb: ['dynamodb:GetItem'],
      partitions: [...PROFILES, 'account', 'replay'],
      jsonBody: true,
      tag: 'Federation',
      summary: `Test a federation policy against a JWT (${where})`,
      description:
        `Runs every check of an exchange and says which passed and which failed, with the policy’s own patterns; ` +
        `issues nothing and does not use up the jti. ${who}`,
      body: testPolicyBody,
      success: { status: 200, description: 'Each check, passed or failed', schema: policyTestSchema },
      problems: [...TOKEN_PROBLEMS, 415],
    },
  ];
}
