import { resolve } from 'node:path';
import { Duration, type RemovalPolicy, Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { NodejsFunction } from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { type DynamoAction, entryOf } from '../routes.js';
import { PARTITIONS, type Partition } from '../../shared/dynamodb/keys.js';
import { METRICS_NAMESPACE, SERVICE_NAME } from '../../shared/http/observability.js';
import { FUNCTION_MEMORY_MB } from './bundling.js';
import { functionBundle, releaseBundle } from './function-bundles.js';
import { FunctionRole } from './function-role.js';

/** The repository root: entries, the lock file and tsconfig.json are found from here. */
export const PROJECT_ROOT = resolve(import.meta.dirname, '../..');

export { METRICS_NAMESPACE, SERVICE_NAME } from '../../shared/http/observability.js';

export interface ServiceFunctionProps {
  /** Function id: the entry is `functions/<id>.ts` (see `entryOf`). */
  id: string;
  /** The table the function reads and writes. */
  tableArn: string;
  /** Exactly the DynamoDB actions the function calls, granted on the table and nothing else. */
  dynamodb: readonly DynamoAction[];
  /** The partitions those actions may reach (`dynamodb:LeadingKeys`). */
  partitions: readonly Partition[];
  /** Indexes of the table it queries: its actions are granted on them too, under the same partition condition. */
  indexes?: readonly string[];
  /** Environment shared by every function (table name, JWT and API Gateway wiring). */
  environment: Record<string, string>;
  logLevel: string;
  logRetention: logs.RetentionDays;
  /** Whether log groups go with the stack. */
  removalPolicy: RemovalPolicy;
  /** @default Duration.seconds(10), well inside API Gateway's 29 s integration timeout */
  timeout?: Duration;
  /** @default FUNCTION_MEMORY_MB (512) */
  memorySize?: number;
  description?: string;
  /**
   * Invoked through an alias (`live`) on a published version, which CodeDeploy moves to a
   * new version gradually: the functions behind the API.
   * @default false
   */
  alias?: boolean;
}

/** The alias the API and the authorizer invoke, and CodeDeploy moves. */
export const LIVE_ALIAS = 'live';

/**
 * Every Lambda of the service, with its defaults set once: Node.js 24 on arm64, a
 * minified ESM bundle with source maps, Powertools configured, active tracing, its own
 * log group with retention, and its own role holding only what the function declares.
 */
export class ServiceFunction extends Construct {
  readonly function: NodejsFunction;
  readonly role: iam.Role;
  readonly logGroup: logs.LogGroup;
  /** The `live` alias, for a function that has one. */
  readonly alias: lambda.Alias | undefined;

  constructor(scope: Construct, id: string, props: ServiceFunctionProps) {
    super(scope, id);

    this.logGroup = new logs.LogGroup(this, 'Logs', {
      retention: props.logRetention,
      removalPolicy: props.removalPolicy,
    });

    // A role of our own instead of AWSLambdaBasicExecutionRole: that managed policy lets
    // the function create any log group and write to all of them.
    this.role = new FunctionRole(this, 'Role', {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: `Runs the ${props.id} function`,
    });
    this.role.addToPolicy(
      new iam.PolicyStatement({
        actions: ['logs:CreateLogStream', 'logs:PutLogEvents'],
        resources: [this.logGroup.logGroupArn],
      }),
    );
    if (props.dynamodb.length > 0) {
      this.role.addToPolicy(
        new iam.PolicyStatement({
          actions: [...props.dynamodb],
          resources: [props.tableArn, ...(props.indexes ?? []).map((index) => `${props.tableArn}/index/${index}`)],
          conditions: {
            // Every item's partition key must match one of the function's patterns; the Null
            // check refuses a request without one (ForAllValues alone would let it pass).
            'ForAllValues:StringLike': {
              'dynamodb:LeadingKeys': props.partitions.map((partition) => PARTITIONS[partition]),
            },
            Null: { 'dynamodb:LeadingKeys': 'false' },
          },
        }),
      );
    }

    // Bundled with every other function in one esbuild run (function-bundles.ts), with the
    // settings the cold-start benchmark measures, so that what is measured is what is deployed.
    const bundle = functionBundle(this, props.id, PROJECT_ROOT);
    this.function = new NodejsFunction(this, 'Handler', {
      ...(bundle
        ? { code: bundle, handler: 'index.handler' }
        : {
            entry: resolve(PROJECT_ROOT, entryOf(props.id)),
            handler: 'handler',
            projectRoot: PROJECT_ROOT,
            depsLockFilePath: resolve(PROJECT_ROOT, 'package-lock.json'),
          }),
      runtime: lambda.Runtime.NODEJS_24_X,
      architecture: lambda.Architecture.ARM_64,
      memorySize: props.memorySize ?? FUNCTION_MEMORY_MB,
      timeout: props.timeout ?? Duration.seconds(10),
      tracing: lambda.Tracing.ACTIVE,
      role: this.role,
      logGroup: this.logGroup,
      description: props.description ?? props.id,
      environment: {
        ...props.environment,
        POWERTOOLS_SERVICE_NAME: SERVICE_NAME,
        POWERTOOLS_METRICS_NAMESPACE: METRICS_NAMESPACE,
        POWERTOOLS_LOG_LEVEL: props.logLevel,
      },
    });
    // The function has staged its asset (a copy of the bundle) by now.
    releaseBundle(this, props.id);

    this.alias = props.alias
      ? new lambda.Alias(this, 'Live', { aliasName: LIVE_ALIAS, version: this.function.currentVersion })
      : undefined;

    // Granted to the role by `tracing: ACTIVE`; X-Ray has no resource-level permissions.
    Validations.of(this.role).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason: 'X-Ray PutTraceSegments and PutTelemetryRecords support only Resource "*".',
    });
  }

  /** What callers invoke: the alias when there is one, else the function itself. */
  get invocable(): lambda.IFunction {
    return this.alias ?? this.function;
  }

  /** Adds a statement to this function's role (API Gateway keys and plans). */
  allow(statement: iam.PolicyStatement): void {
    this.role.addToPolicy(statement);
  }
}
