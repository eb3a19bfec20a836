import {
  APIGatewayClient,
  CreateApiKeyCommand,
  type CreateApiKeyCommandInput,
  CreateUsagePlanKeyCommand,
  type CreateUsagePlanKeyCommandInput,
  DeleteApiKeyCommand,
  type DeleteApiKeyCommandInput,
  DeleteUsagePlanKeyCommand,
  type DeleteUsagePlanKeyCommandInput,
  GetApiKeyCommand,
  type GetApiKeyCommandInput,
  GetApiKeysCommand,
  type GetApiKeysCommandInput,
  GetUsagePlanKeyCommand,
  type GetUsagePlanKeyCommandInput,
  GetUsagePlanKeysCommand,
  type GetUsagePlanKeysCommandInput,
} from '@aws-sdk/client-api-gateway';

/**
 * The API Gateway operations the rate limiter calls, on one client. The only module that
 * imports the API Gateway SDK: the others import its type alone. It is an `.mjs` file of
 * its own beside the bundle of each function that calls API Gateway (`API_GATEWAY_MODULE`
 * in `infra/cdk/bundling.ts`); `.mjs`, so that it is ESM whatever `package.json` lies near.
 * No function creates, changes or deletes a usage plan: CloudFormation makes the tiers'.
 */
export class ApiGateway {
  constructor(readonly client: APIGatewayClient) {}

  static forRegion(region: string): ApiGateway {
    return new ApiGateway(new APIGatewayClient({ region }));
  }

  createApiKey(input: CreateApiKeyCommandInput) {
    return this.client.send(new CreateApiKeyCommand(input));
  }
  getApiKey(input: GetApiKeyCommandInput) {
    return this.client.send(new GetApiKeyCommand(input));
  }
  getApiKeys(input: GetApiKeysCommandInput) {
    return this.client.send(new GetApiKeysCommand(input));
  }
  deleteApiKey(input: DeleteApiKeyCommandInput) {
    return this.client.send(new DeleteApiKeyCommand(input));
  }
  createUsagePlanKey(input: CreateUsagePlanKeyCommandInput) {
    return this.client.send(new CreateUsagePlanKeyCommand(input));
  }
  getUsagePlanKey(input: GetUsagePlanKeyCommandInput) {
    return this.client.send(new GetUsagePlanKeyCommand(input));
  }
  getUsagePlanKeys(input: GetUsagePlanKeysCommandInput) {
    return this.client.send(new GetUsagePlanKeysCommand(input));
  }
  deleteUsagePlanKey(input: DeleteUsagePlanKeyCommandInput) {
    return this.client.send(new DeleteUsagePlanKeyCommand(input));
  }
}
