import type { z } from 'zod/mini';
import type { Partition } from '../shared/dynamodb/keys.js';

/** The shape of a row of the route table (infra/routes.ts, which exports these types too). */

export type DynamoAction =
  | 'dynamodb:GetItem'
  | 'dynamodb:Query'
  | 'dynamodb:PutItem'
  | 'dynamodb:UpdateItem'
  | 'dynamodb:DeleteItem'
  | 'dynamodb:ConditionCheckItem'
  | 'dynamodb:BatchGetItem';

/** A query parameter, as the OpenAPI document describes it. */
export interface QueryParameter {
  name: string;
  description: string;
  schema: Record<string, unknown>;
}

export interface Route {
  /** Lambda name suffix and the file `functions/<id>.ts`. */
  id: string;
  method: 'GET' | 'POST' | 'PATCH' | 'DELETE';
  /** API Gateway resource path, with `{param}` segments. */
  path: string;
  /**
   * `none`: no authorizer and no API key (health, and what authenticates itself: secret scanning reports, the token
   * exchange's subject token).
   */
  auth: 'none' | 'authenticated';
  /** Why a route without an authorizer needs none (cdk-nag's acknowledgement says it). */
  noAuthorizerBecause?: string;
  /** The method's own throttle in the stage, below the stage's (a route anyone may call). */
  throttle?: { rateLimit: number; burstLimit: number };
  /** DynamoDB actions the function needs on the table, and nothing more. */
  dynamodb: DynamoAction[];
  /** The kinds of partition it reads or writes (IAM `dynamodb:LeadingKeys`), and no other. */
  partitions: Partition[];
  /** Body is JSON the function validates (API Gateway checks it is an object first). */
  jsonBody?: boolean;
  /** It tells the key worker of changes to keys (SendMessage on its queue, in AWS). */
  keyChanges?: true;
  deprecated?: boolean;
  summary: string;
  /** OpenAPI: what the operation does, beyond its summary. */
  description?: string;
  /** OpenAPI tag. */
  tag: 'Tokens' | 'Audit' | 'Identity' | 'Directory' | 'Service' | 'Secret scanning' | 'Federation';
  query?: QueryParameter[];
  /** The body schema the function validates with. */
  body?: z.ZodMiniType;
  /** The body may be left out (the function applies defaults). */
  bodyOptional?: boolean;
  /**
   * Bytes of body at most (default `BODY_LIMIT_BYTES`, 16 KiB): over it, 413 before the body
   * is parsed. The local gateway stops reading there; in AWS the function checks it first
   * (API Gateway itself has no limit below 10 MB); the OpenAPI document states it.
   */
  bodyLimitBytes?: number;
  /** The body's media type, when it is not JSON (the exchange: a form, as RFC 8693 has it). */
  bodyMediaType?: 'application/x-www-form-urlencoded';
  /** Statuses the function answers with OAuth errors (RFC 6749 §5.2) instead of problem JSON. */
  oauthErrors?: number[];
  /** The success answer: its status, body schema (none for 204) and notable headers. */
  success: { status: number; description: string; schema?: z.ZodMiniType; headers?: string[] };
  /** Problem statuses the function itself may answer, beyond those every authenticated route may. */
  problems: number[];
}
