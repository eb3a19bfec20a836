/**
 * What each kind of function may do with API Gateway's keys, operation by operation: the
 * stack turns this into IAM statements (infra/cdk/api-key-policy.ts), and a test checks
 * that the functions call nothing else. No function may create, change or delete a usage
 * plan: CloudFormation makes the rate tiers' plans.
 *
 * Every key the worker makes, and every tier plan, carries the stage tag (`STAGE_TAG`),
 * and IAM requires it: on the request that creates a key (`aws:RequestTag`), and on the
 * key or plan acted on (`aws:ResourceTag`; a plan's key memberships inherit its tags). So
 * a function reaches this stage's keys and plans only, never another API's, nor the
 * stack's unthrottled and pooled keys (which are not tagged).
 */

export type ApiKeyAccess =
  /** The key worker: make keys, put them in and take them out of tier plans, delete them. */
  | 'worker'
  /** Reconcile: list every key (without values) and each tier plan's keys; it changes nothing. */
  | 'reconcile';

export type ApiGatewayOperation =
  | 'CreateApiKey'
  | 'CreateUsagePlanKey'
  | 'GetUsagePlanKey'
  | 'GetUsagePlanKeys'
  | 'DeleteUsagePlanKey'
  | 'DeleteApiKey'
  | 'GetApiKeys';

/** An IAM action on a resource path, under the tag condition that can hold there. */
export interface Grant {
  action: 'apigateway:GET' | 'apigateway:POST' | 'apigateway:PUT' | 'apigateway:PATCH' | 'apigateway:DELETE';
  path: string;
  /**
   * `request`: the tags a create sends; `resource`: the tags of what exists; `none`: a collection, which carries none.
   */
  tag: 'request' | 'resource' | 'none';
}

const onCreate = (path: string): Grant[] => [
  { action: 'apigateway:POST', path, tag: 'request' },
  // Creating with tags is also `apigateway:PUT` (the tag write) in AWS's authorization
  // reference, which does not say which resource it is checked on: the collection and
  // the tags resource are both allowed, under the same request-tag condition.
  { action: 'apigateway:PUT', path, tag: 'request' },
  { action: 'apigateway:PUT', path: '/tags/*', tag: 'request' },
];
const onExisting = (action: Grant['action'], path: string): Grant[] => [{ action, path, tag: 'resource' }];

/** What IAM checks for each operation the service calls. */
export const OPERATIONS: Record<ApiGatewayOperation, Grant[]> = {
  CreateApiKey: onCreate('/apikeys'),
  // A plan's key memberships inherit the plan's tags.
  CreateUsagePlanKey: onExisting('apigateway:POST', '/usageplans/*/keys'),
  GetUsagePlanKey: onExisting('apigateway:GET', '/usageplans/*/keys/*'),
  GetUsagePlanKeys: onExisting('apigateway:GET', '/usageplans/*/keys'),
  DeleteUsagePlanKey: onExisting('apigateway:DELETE', '/usageplans/*/keys/*'),
  DeleteApiKey: onExisting('apigateway:DELETE', '/apikeys/*'),
  // Listing keys could show every key's value in the account: reconcile alone may, and asks without values.
  GetApiKeys: [{ action: 'apigateway:GET', path: '/apikeys', tag: 'none' }],
};

export const API_KEY_OPERATIONS: Record<ApiKeyAccess, ApiGatewayOperation[]> = {
  worker: ['CreateApiKey', 'CreateUsagePlanKey', 'GetUsagePlanKey', 'DeleteUsagePlanKey', 'DeleteApiKey'],
  reconcile: ['GetApiKeys', 'GetUsagePlanKeys'],
};
