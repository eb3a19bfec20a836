import { RemovalPolicy } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import { Construct } from 'constructs';
import { TTL_ATTRIBUTE } from '../../shared/dynamodb/keys.js';
import { INDEX_SPECS, TABLE_KEYS } from '../../shared/dynamodb/table.js';

export interface TokenTableProps {
  /**
   * A throwaway stage: no deletion protection, and the table goes with the stack.
   * @default false
   */
  ephemeral?: boolean;
}

/**
 * The one table (tokens, credentials, counters, audit events and the directory), keyed and indexed as
 * `shared/dynamodb/table.ts` creates it locally. It holds every credential hash: it
 * survives `cdk destroy` and refuses deletion unless the stage is declared throwaway.
 */
export class TokenTable extends Construct {
  readonly table: dynamodb.Table;

  constructor(scope: Construct, id: string, props: TokenTableProps = {}) {
    super(scope, id);
    const ephemeral = props.ephemeral ?? false;
    this.table = new dynamodb.Table(this, 'Table', {
      partitionKey: { name: TABLE_KEYS.partitionKey, type: dynamodb.AttributeType.STRING },
      sortKey: { name: TABLE_KEYS.sortKey, type: dynamodb.AttributeType.STRING },
      billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      // Expired tokens leave after their retention without anyone deleting them.
      timeToLiveAttribute: TTL_ATTRIBUTE,
      deletionProtection: !ephemeral,
      // Audit events are forwarded from the stream (infra/cdk/audit-events.ts).
      stream: dynamodb.StreamViewType.NEW_IMAGE,
      removalPolicy: ephemeral ? RemovalPolicy.DESTROY : RemovalPolicy.RETAIN,
    });
    // The sparse indexes (shared/dynamodb/keys.ts): the lifecycle job's (tokens with a notice to
    // come, or active ones) and reconcile's (tokens and policies with an API key of their own).
    // CloudFormation adds one index to an existing table per update; each was added in a release of its own.
    for (const index of INDEX_SPECS) {
      this.table.addGlobalSecondaryIndex({
        indexName: index.name,
        partitionKey: { name: index.partitionKey, type: dynamodb.AttributeType.STRING },
        ...(index.sortKey ? { sortKey: { name: index.sortKey, type: dynamodb.AttributeType.STRING } } : {}),
        projectionType: dynamodb.ProjectionType.INCLUDE,
        nonKeyAttributes: [...index.projected],
      });
    }
  }
}
