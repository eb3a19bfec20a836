/**
 * The API stack's name for a stage: `cdk.out/<name>.template.json`, the CloudFormation
 * stack, the REST API's name. The stage is part of it, so that stages live side by side
 * in one account; the console's stack is the same name with `-console`.
 */
export const STACK_NAME_PREFIX = 'ServiceAccountTokens';
export const defaultStackName = (stageName: string): string => `${STACK_NAME_PREFIX}-${stageName}`;
export const consoleStackName = (apiStackName: string): string => `${apiStackName}-console`;
