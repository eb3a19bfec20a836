/** The stack's name: `cdk.out/<name>.template.json`, the CloudFormation stack, the REST API's name. */
export const STACK_NAME = 'ServiceAccountTokens';
