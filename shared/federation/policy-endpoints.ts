import { MetricUnit } from '@aws-lambda-powertools/metrics';
import type { APIGatewayProxyEvent } from 'aws-lambda';
import type { FieldError } from '../kernel/errors.js';
import { createPolicyBody, issuerRulesErrors, policyIdPath, testPolicyBody } from './validation.js';
import { pathParameter } from '../http/path-parameters.js';
import { jsonResponse } from '../http/problem.js';
import { changeOrigin, requestMeta } from '../http/request-origin.js';
import { check, stageMaxRps } from '../http/validation.js';
import type { Scope } from '../middleware/authorization.js';
import { tokenEndpoint } from '../middleware/token-endpoint.js';
import type { Config } from '../kernel/config.js';
import type { EndpointDeps } from '../middleware/token-endpoint.js';
import type { PolicyParts } from './deps.js';
import type { ReplayGuard, SubjectTokenVerifier } from './ports.js';
import { jsonObjectBody } from '../http/json-body.js';
import { policyDeps } from './deps.js';
import { createPolicy, deletePolicy, getPolicy, listPolicies, refusedPolicyCreator } from './policies.js';
import { toPolicyView } from './policy.js';
import { testPolicy } from './policy-test.js';

/** What the policy endpoints use. */
export type PolicyEndpointDeps = EndpointDeps &
  PolicyParts & {
    config: Pick<Config, 'federation' | 'tokens' | 'jwt'>;
    replay: ReplayGuard;
    verifySubjectToken: SubjectTokenVerifier;
  };

/**
 * The federation policy endpoints, under both bases, behind the same authorization stack
 * as the token endpoints (permission, the account, same group, then validation).
 */

function policyIdOf(event: APIGatewayProxyEvent, errors: FieldError[]): string {
  return check(policyIdPath, { policyId: pathParameter(event, 'policyId') }, errors)?.policyId ?? '';
}

export function listPoliciesEndpoint(parts: PolicyEndpointDeps, scope: Scope) {
  const deps = policyDeps(parts);
  return tokenEndpoint(parts, { scope, input: () => ({}) }).handler(async (_event, context) =>
    jsonResponse(200, { policies: await listPolicies(deps, context.serviceAccount.id) }),
  );
}

export function createPolicyEndpoint(parts: PolicyEndpointDeps, scope: Scope) {
  const deps = policyDeps(parts);
  return tokenEndpoint(parts, {
    scope,
    // Before the body is read: no token caller creates a policy, whatever it asks for.
    refuseCaller: refusedPolicyCreator,
    input: (event, errors) => {
      const json = jsonObjectBody(event, errors, undefined);
      const body = json === undefined ? undefined : check(createPolicyBody, json, errors);
      issuerRulesErrors(json, parts.config.federation.issuers, errors);
      stageMaxRps(body?.maxRps, parts.config.tokens.maxRps, errors);
      if (json === undefined && errors.length === 0)
        errors.push({ field: 'body', message: 'is required: a JSON object' });
      return body!;
    },
  }).handler(async (event, context) => {
    const policy = await createPolicy(deps, {
      ...context.input,
      serviceAccountId: context.serviceAccount.id,
      createdBy: context.caller.userId,
      origin: changeOrigin(context.caller, requestMeta(event)),
      incarnation: context.serviceAccount.incarnation,
      networksRequiredBy: {
        deployment: parts.config.tokens.requireAllowedCidrs === true,
        account: context.serviceAccount.requireAllowedCidrs,
      },
    });
    parts.metrics.addMetric('FederationPolicyCreated', MetricUnit.Count, 1);
    const base = (event.path ?? '').replace(/\/+$/, '');
    return jsonResponse(201, policy, { Location: `${base}/${policy.policyId}` });
  });
}

export function getPolicyEndpoint(parts: PolicyEndpointDeps, scope: Scope) {
  const deps = policyDeps(parts);
  return tokenEndpoint(parts, { scope, input: (event, errors) => ({ policyId: policyIdOf(event, errors) }) }).handler(
    async (_event, context) =>
      jsonResponse(200, toPolicyView(await getPolicy(deps, context.serviceAccount.id, context.input.policyId))),
  );
}

export function deletePolicyEndpoint(parts: PolicyEndpointDeps, scope: Scope) {
  const deps = policyDeps(parts);
  const input = (event: APIGatewayProxyEvent, errors: FieldError[]) => ({ policyId: policyIdOf(event, errors) });
  return tokenEndpoint(parts, { scope, input }).handler(async (event, context) => {
    const origin = changeOrigin(context.caller, requestMeta(event));
    await deletePolicy(deps, context.serviceAccount.id, context.input.policyId, origin);
    return { statusCode: 204, headers: { 'Cache-Control': 'no-store' }, body: '' };
  });
}

export function testPolicyEndpoint(parts: PolicyEndpointDeps, scope: Scope) {
  const deps = policyDeps(parts);
  return tokenEndpoint(parts, {
    scope,
    input: (event, errors) => {
      const policyId = policyIdOf(event, errors);
      const json = jsonObjectBody(event, errors, {});
      const body = json === undefined ? undefined : check(testPolicyBody, json, errors);
      return { policyId, subjectToken: body?.subjectToken ?? '' };
    },
  }).handler(async (_event, context) => {
    const policy = await getPolicy(deps, context.serviceAccount.id, context.input.policyId);
    const result = await testPolicy(
      { verify: parts.verifySubjectToken, replay: parts.replay, clock: parts.clock },
      policy,
      context.input.subjectToken,
    );
    return jsonResponse(200, result);
  });
}
