import { type Stack, Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import { API_KEY_OPERATIONS, type ApiKeyAccess, type Grant, OPERATIONS } from '../api-key-access.js';
import { STAGE_TAG } from '../../shared/ratelimit/gateway-names.js';
import type { ServiceFunction } from './service-function.js';

/** `arn:<partition>:apigateway:<region>::<path>`: API Gateway's control-plane resources. */
export function apiGatewayArn(stack: Stack, path: string): string {
  return `arn:${stack.partition}:apigateway:${stack.region}::${path}`;
}

/**
 * The IAM statements of a function that manages this stage's keys: one per
 * resource path and condition, holding the actions its operations need there, under the tag condition
 * that path allows (see infra/api-key-access.ts). `stageTag` is the tag's value, the
 * `restApiId/stage` every key and plan of this stage is created with.
 */
export function apiKeyStatements(stack: Stack, access: ApiKeyAccess, stageTag: string): iam.PolicyStatement[] {
  // One statement per path and condition: `/apikeys` is both created in (request tag) and listed (no tag).
  const byPath = new Map<string, { path: string; actions: Set<string>; tag: Grant['tag'] }>();
  for (const operation of API_KEY_OPERATIONS[access]) {
    for (const { action, path, tag } of OPERATIONS[operation]) {
      const entry = byPath.get(`${tag} ${path}`) ?? { path, actions: new Set<string>(), tag };
      entry.actions.add(action);
      byPath.set(`${tag} ${path}`, entry);
    }
  }
  return [...byPath.values()].map(({ path, actions, tag }) => {
    const conditions: Record<string, Record<string, unknown>> = tag === 'request'
      ? // Only our tag, with this stage's value: a create without it, or with any other tag, is refused.
        {
          StringEquals: { [`aws:RequestTag/${STAGE_TAG}`]: stageTag },
          'ForAllValues:StringEquals': { 'aws:TagKeys': [STAGE_TAG] },
        }
      : tag === 'resource'
        ? { StringEquals: { [`aws:ResourceTag/${STAGE_TAG}`]: stageTag } }
        : {};
    return new iam.PolicyStatement({
      actions: [...actions].sort(),
      resources: [apiGatewayArn(stack, path)],
      ...(Object.keys(conditions).length > 0 ? { conditions } : {}),
    });
  });
}

/** Grants a function its share of key management, and records why the wildcards are needed. */
export function allowApiKeyManagement(stack: Stack, fn: ServiceFunction, access: ApiKeyAccess, stageTag: string): void {
  const statements = apiKeyStatements(stack, access, stageTag);
  for (const statement of statements) fn.allow(statement);
  const wildcards = new Set(statements.flatMap((statement) => statement.resources).filter((arn) => arn.includes('*')));
  const paths = new Set(Object.values(OPERATIONS).flatMap((grants) => grants.map((grant) => grant.path)));
  for (const path of paths) {
    if (!path.includes('*') || ![...wildcards].some((arn) => arn.endsWith(`::${path}`))) continue;
    Validations.of(fn.role).acknowledge({
      id: `AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:apigateway:<AWS::Region>::${path}]`,
      reason:
        'The key worker makes keys at run time, so their ids are unknown at deploy time; the stage tag condition ' +
        'confines the wildcard to this stage’s own keys and tier plans.',
    });
  }
}
