/**
 * What each kind of function may do with API Gateway's keys and usage plans, operation
 * by operation: the stack turns this into IAM statements (infra/cdk/api-key-policy.ts),
 * and a test checks that the functions call nothing else.
 *
 * Every key and plan the service makes carries the stage tag (`STAGE_TAG`), and IAM
 * requires it: on the request that creates one (`aws:RequestTag`), and on the key or plan
 * acted on (`aws:ResourceTag`; a plan's key memberships inherit its tags). So a function
 * reaches this stage's keys and plans only, never another API's, nor the stack's own
 * unthrottled key and plan (which are not tagged).
 */

export type ApiKeyAccess =
  /** Token creates: make plans and keys, add keys to plans, delete a key it made (undo). */
  | 'create'
  /** Token changes: as create, and enable or disable keys. */
  | 'update'
  /** Token deletes: delete keys, nothing else. */
  | 'delete'
  /** Reconcile: list keys and plans, and repair anything of ours. */
  | 'reconcile';

export type ApiGatewayOperation =
  | 'CreateUsagePlan'
  | 'CreateApiKey'
  | 'CreateUsagePlanKey'
  | 'GetUsagePlanKey'
  | 'GetUsagePlanKeys'
  | 'DeleteUsagePlanKey'
  | 'UpdateApiKey'
  | 'DeleteApiKey'
  | 'UpdateUsagePlan'
  | 'DeleteUsagePlan'
  | 'GetApiKeys'
  | 'GetUsagePlans';

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
  CreateUsagePlan: onCreate('/usageplans'),
  CreateApiKey: onCreate('/apikeys'),
  // A plan's key memberships inherit the plan's tags.
  CreateUsagePlanKey: onExisting('apigateway:POST', '/usageplans/*/keys'),
  GetUsagePlanKey: onExisting('apigateway:GET', '/usageplans/*/keys/*'),
  GetUsagePlanKeys: onExisting('apigateway:GET', '/usageplans/*/keys'),
  DeleteUsagePlanKey: onExisting('apigateway:DELETE', '/usageplans/*/keys/*'),
  UpdateApiKey: onExisting('apigateway:PATCH', '/apikeys/*'),
  DeleteApiKey: onExisting('apigateway:DELETE', '/apikeys/*'),
  UpdateUsagePlan: onExisting('apigateway:PATCH', '/usageplans/*'),
  DeleteUsagePlan: onExisting('apigateway:DELETE', '/usageplans/*'),
  // Listing keys could show every key's value in the account: reconcile alone may, and asks without values.
  GetApiKeys: [{ action: 'apigateway:GET', path: '/apikeys', tag: 'none' }],
  GetUsagePlans: [{ action: 'apigateway:GET', path: '/usageplans', tag: 'none' }],
};

const CREATE: ApiGatewayOperation[] = [
  'CreateUsagePlan',
  'CreateApiKey',
  'CreateUsagePlanKey',
  'GetUsagePlanKey',
  'DeleteApiKey',
];

export const API_KEY_OPERATIONS: Record<ApiKeyAccess, ApiGatewayOperation[]> = {
  create: CREATE,
  update: [...CREATE, 'UpdateApiKey'],
  delete: ['DeleteApiKey'],
  reconcile: Object.keys(OPERATIONS) as ApiGatewayOperation[],
};
