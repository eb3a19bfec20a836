/**
 * The API Gateway operations the rate limiter calls. The only module that imports the API
 * Gateway SDK: it is an `.mjs` file of its own beside the bundle of each function that calls
 * API Gateway (`SDK_MODULES` in `infra/cdk/bundling.ts`); `.mjs`, so that it is ESM
 * whatever `package.json` lies near. No function creates, changes or deletes a usage plan:
 * CloudFormation makes the tiers'.
 */
export {
  APIGatewayClient as ApiGateway,
  CreateApiKeyCommand,
  CreateUsagePlanKeyCommand,
  DeleteApiKeyCommand,
  DeleteUsagePlanKeyCommand,
  GetApiKeyCommand,
  GetApiKeysCommand,
  GetUsagePlanKeyCommand,
  GetUsagePlanKeysCommand,
} from '@aws-sdk/client-api-gateway';
