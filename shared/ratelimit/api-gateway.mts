import {
  APIGatewayClient,
  CreateApiKeyCommand,
  type CreateApiKeyCommandInput,
  CreateUsagePlanCommand,
  type CreateUsagePlanCommandInput,
  CreateUsagePlanKeyCommand,
  type CreateUsagePlanKeyCommandInput,
  DeleteApiKeyCommand,
  type DeleteApiKeyCommandInput,
  DeleteUsagePlanCommand,
  type DeleteUsagePlanCommandInput,
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
  GetUsagePlansCommand,
  type GetUsagePlansCommandInput,
  UpdateApiKeyCommand,
  type UpdateApiKeyCommandInput,
  UpdateUsagePlanCommand,
  type UpdateUsagePlanCommandInput,
} from '@aws-sdk/client-api-gateway';

/**
 * The API Gateway operations the rate-limit adapters call, on one client. The only module
 * that imports the API Gateway SDK: the others import its type alone.
 *
 * It is an `.mjs` file of its own beside the bundle of each function that calls API
 * Gateway (`API_GATEWAY_MODULE` in `infra/cdk/bundling.ts`). The functions that keep keys
 * in step import it on the first call that needs it (`aws-wiring.ts`); inlined, the SDK's
 * 65 KB were parsed at every cold start, though most calls (tokens without a limit,
 * refusals) never reach API Gateway. (The deploy-time publisher, which always needs it,
 * imports it at init.) `.mjs`, so that it is ESM whatever `package.json` lies near it.
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
  updateApiKey(input: UpdateApiKeyCommandInput) {
    return this.client.send(new UpdateApiKeyCommand(input));
  }
  deleteApiKey(input: DeleteApiKeyCommandInput) {
    return this.client.send(new DeleteApiKeyCommand(input));
  }
  createUsagePlan(input: CreateUsagePlanCommandInput) {
    return this.client.send(new CreateUsagePlanCommand(input));
  }
  getUsagePlans(input: GetUsagePlansCommandInput) {
    return this.client.send(new GetUsagePlansCommand(input));
  }
  updateUsagePlan(input: UpdateUsagePlanCommandInput) {
    return this.client.send(new UpdateUsagePlanCommand(input));
  }
  deleteUsagePlan(input: DeleteUsagePlanCommandInput) {
    return this.client.send(new DeleteUsagePlanCommand(input));
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
