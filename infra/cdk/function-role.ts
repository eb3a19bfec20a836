import * as iam from 'aws-cdk-lib/aws-iam';
import type { Construct } from 'constructs';

/**
 * A function's role whose every statement, its own and those the library grants (X-Ray,
 * the stream, the bus, the dead-letter queue), is written into the role itself, where
 * `iam.Role` would add a policy resource beside it: one CloudFormation resource per
 * function fewer, in a stack that grows with every route (infra/cdk/stack.ts). The
 * statements are the same, and the same size limit holds (the inline policies of a role
 * together, as before).
 */
export class FunctionRole extends iam.Role {
  private readonly document: iam.PolicyDocument;

  constructor(scope: Construct, id: string, props: Omit<iam.RoleProps, 'inlinePolicies'>) {
    const grants = new iam.PolicyDocument();
    super(scope, id, { ...props, inlinePolicies: { grants } });
    this.document = grants;
  }

  override addToPrincipalPolicy(statement: iam.PolicyStatement): iam.AddToPrincipalPolicyResult {
    this.document.addStatements(statement);
    // Whatever must wait for the statement waits for the role, which carries it.
    return { statementAdded: true, policyDependable: this };
  }
}
